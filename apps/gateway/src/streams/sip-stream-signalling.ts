import { Logger } from '@nestjs/common';
import type { Dialog, InviteUsageEvent } from '@gb/gb28181';
import type { GatewayConfig } from '../config/config.schema';
import { GatewayError } from '../common/gateway-error';
import type { SipFlow } from '../sip/sip-flow';
import type { SipService } from '../sip/sip.service';
import type { StreamDialog, StreamSignalling } from './stream-session';

/**
 * StreamSignalling over SIP: the INVITE goes out through the protocol library's InviteClientUsage (CANCEL on
 * timeout, ACK + BYE for 2xx that come after we gave up), the dialog's BYE and INFO through its Dialog.
 *
 * In-dialog requests take the dialog's remote target as Request-URI (RFC 3261 §12.2.1.1) but are SENT over the flow
 * the device registered from, not to the address in its Contact: behind NAT the Contact holds a private address we
 * cannot reach, while the registered flow (source address and port of its REGISTER, or its TCP connection) is the
 * pinhole the device keeps open with its keepalives. If the device re-registered from a new address meanwhile
 * (NAT rebinding), the newest registered flow is used.
 */
export class SipStreamSignalling {
  private readonly log = new Logger('streams');
  /** INVITEs sent and not yet settled (answered, refused or given up). */
  private inFlight = 0;

  constructor(
    private readonly sip: SipService,
    private readonly cfg: GatewayConfig,
    /** The device's current registered flow (undefined once it is gone from the registry). */
    private readonly flowOf: (deviceId: string) => SipFlow | undefined,
  ) {}

  get pending(): number {
    return this.inFlight;
  }

  forStream(deviceId: string, channelId: string, ssrc: string): StreamSignalling {
    return {
      invite: (sdp) => {
        const flow = this.flowOf(deviceId);
        if (!flow) throw new GatewayError('DEVICE_OFFLINE', `device ${deviceId} has no registered address`, { deviceId });
        const req = this.sip.build({
          method: 'INVITE', targetId: channelId, flow,
          // Subject: <media sender id>:<sender serial>,<receiver id>:<receiver serial> (GB/T 28181 §9.2)
          headers: [['Subject', `${channelId}:${ssrc},${this.cfg.SIP_ID}:0`]],
          body: Buffer.from(sdp), contentType: 'APPLICATION/SDP',
        });
        const callId = req.headers.get('Call-ID') ?? '';
        const usage = this.sip.endpoint.invite(req, flow, { answerTimeoutMs: this.cfg.INVITE_TIMEOUT_MS, onEvent: (e) => this.onEvent(deviceId, e) });
        this.inFlight++;
        const settled = () => void this.inFlight--;
        const answer = usage.start().then(
          ({ dialog, response }): StreamDialog & { sdp: string } => {
            settled();
            return { ...this.dialogOf(deviceId, dialog, flow), sdp: response.body.toString('utf8') };
          },
          (e: unknown) => {
            settled();
            throw e;
          },
        );
        return { callId, answer, abandon: () => void usage.abandon() };
      },
    };
  }

  private dialogOf(deviceId: string, dialog: Dialog, initialFlow: SipFlow): StreamDialog {
    const send = (method: 'BYE' | 'INFO', body?: Buffer, contentType?: string) => {
      const flow = this.flowOf(deviceId) ?? initialFlow; // the registered flow (see the class comment)
      return this.sip.endpoint.sendInDialog(dialog, method, flow, { contact: this.sip.contactFor(flow), body, contentType });
    };
    let byeSent: Promise<void> | undefined;
    return {
      callId: dialog.callId,
      bye: () =>
        (byeSent ??= send('BYE').then(
          (res) => {
            if (res.status >= 300) this.log.warn(`BYE of ${dialog.callId} to ${deviceId} answered ${res.status} ${res.reason}`);
          },
          (e: unknown) => this.log.warn(`BYE of ${dialog.callId} to ${deviceId} got no answer: ${(e as Error).message}`),
        )),
      info: async (body, contentType) => {
        const res = await send('INFO', body, contentType);
        return { status: res.status, reason: res.reason };
      },
    };
  }

  private onEvent(deviceId: string, e: InviteUsageEvent): void {
    switch (e.type) {
      case 'cancel-sent':
      case 'cancel-deferred':
      case 'cancel-expired':
      case 'late-2xx-ack-bye':
        this.log.log(`INVITE ${e.callId} to ${deviceId}: ${e.type}${e.status ? ` (${e.status})` : ''}${e.detail ? `: ${e.detail}` : ''}`);
        break;
      case 'error':
        this.log.warn(`INVITE ${e.callId} to ${deviceId}: ${e.detail ?? 'error'}`);
        break;
      default:
        break;
    }
  }

  /** Nothing to release of its own: the endpoint owns transactions and the abandoned-INVITE registry. */
  close(): void {}
}
