import { Injectable } from '@nestjs/common';
import { createRequest, MANSCDP_CONTENT_TYPE, newBranch, newCallId, newTag, type Dialog, type SipResponse } from '@gb/gb28181';
import { SipService } from '../sip/sip.service';
import type { SuperiorPeer } from './cascade.service';

/**
 * Requests from us to a superior platform we are registered with, along the flow of the registration (UDP to its
 * address, TCP on the connection we opened): MANSCDP MESSAGEs (answers to its queries, alarms, catalog changes) and
 * NOTIFYs in its catalog subscriptions. Request-URI and To name the superior (`serverId@domain`), From our local ID
 * towards it, as the keepalives do (GB/T 28181-2016 §9.6, cascade.md).
 */
@Injectable()
export class SuperiorSender {
  private sn = Math.floor(Math.random() * 100_000);

  constructor(private readonly sip: SipService) {}

  /** The next SN of a message we start (alarms, catalog notifications); answers reuse the superior's SN. */
  nextSn(): number {
    this.sn = this.sn >= 999_999_999 ? 1 : this.sn + 1;
    return this.sn;
  }

  /** One MESSAGE with a MANSCDP body; resolves with the final response, rejects when none came (Timer F). */
  message(peer: SuperiorPeer, body: Buffer): Promise<SipResponse> {
    const { platform, localId, flow } = peer;
    const via = this.via(peer);
    return this.sip.request(
      createRequest({
        method: 'MESSAGE',
        uri: `sip:${platform.serverId}@${platform.domain}`,
        via: { ...via, branch: newBranch() },
        from: { uri: `sip:${localId}@${platform.domain}`, tag: newTag() },
        to: { uri: `sip:${platform.serverId}@${platform.domain}` },
        callId: newCallId(via.host),
        cseq: 1,
        maxForwards: 70,
        body,
        contentType: MANSCDP_CONTENT_TYPE,
      }),
      flow,
    );
  }

  /**
   * Sends the bodies one after another, each after the 2xx to the one before (§9.5.2: a multi-packet answer waits
   * for each 200). Stops at the first refusal or unanswered packet. Resolves with how many got a 2xx.
   */
  async sequence(peer: SuperiorPeer, bodies: readonly Buffer[], send: (body: Buffer) => Promise<SipResponse> = (b) => this.message(peer, b)): Promise<number> {
    let ok = 0;
    for (const body of bodies) {
      let res: SipResponse;
      try {
        res = await send(body);
      } catch {
        return ok;
      }
      if (res.status < 200 || res.status >= 300) return ok;
      ok++;
    }
    return ok;
  }

  /** A NOTIFY in a subscription we hold as its notifier (RFC 6665 §4.2.2): Event as subscribed, Subscription-State. */
  notify(peer: SuperiorPeer, dialog: Dialog, o: { event: string; state: string; body?: Buffer }): Promise<SipResponse> {
    const via = this.via(peer);
    const req = dialog.createRequest('NOTIFY', {
      via,
      contact: `<sip:${peer.localId}@${hostPort(via.host, via.port)}>`,
      headers: [['Event', o.event], ['Subscription-State', o.state]],
      ...(o.body ? { body: o.body, contentType: MANSCDP_CONTENT_TYPE } : {}),
    });
    return this.sip.request(req, peer.flow);
  }

  /** Our Via sent-by towards the superior (its local address is asked per request, as the registration does). */
  private via(peer: SuperiorPeer): { transport: string; host: string; port: number; rport: boolean } {
    const flow = peer.flow;
    flow.localHost = this.sip.transport.localHostFor(peer.platform.host);
    return { transport: flow.transport.toUpperCase(), host: flow.localHost, port: this.sip.port, rport: true };
  }
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
