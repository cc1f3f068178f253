import { Gb28181Error } from '../../errors';
import type { SipRequest, SipResponse } from '../sip-message';
import { createRequest, newBranch } from '../sip-builders';
import { MAX_CSEQ, parseCSeq, parseNameAddr, parseVia } from '../sip-header-values';

/** The sent-by of the Via we put on our requests (RFC 3261 §18.1.1): the caller knows its transport and address. */
export interface ViaSentBy {
  transport: string;
  host: string;
  port: number;
  rport?: boolean;
}

/** What a caller adds to a request it sends in a dialog. The branch is always a new one (§8.1.1.7). */
export interface DialogRequestOptions {
  via: ViaSentBy;
  /** Our Contact (a URI or a name-addr); optional for BYE and INFO. */
  contact?: string;
  headers?: [string, string][];
  body?: Buffer;
  contentType?: string;
}

/**
 * A dialog as the UAC of an INVITE sees it (RFC 3261 §12): the state a 2xx to our INVITE creates and
 * every later request in the dialog uses.
 *
 *   dialog ID   = Call-ID + local tag (our From tag) + remote tag (the To tag of the 2xx)  §12
 *   local URI   = the INVITE's From URI, remote URI = its To URI                            §12.1.2
 *   remote target = the 2xx's Contact URI                                                   §12.1.2
 *   route set   = the 2xx's Record-Route, reversed (we are the UAC)                         §12.1.2
 *   local CSeq  = the INVITE's CSeq number; each new request increments it                  §12.2.1.1
 */
export class Dialog {
  readonly callId: string;
  readonly localTag: string;
  /** '' when the peer sent no To tag (an RFC 2543 peer: §12.1.2 says the remote tag is then null). */
  readonly remoteTag: string;
  readonly localUri: string;
  readonly remoteUri: string;
  readonly remoteTarget: string;
  /** Where the remote target came from: the 2xx's Contact, or the INVITE's Request-URI when the 2xx had none. */
  readonly remoteTargetSource: 'contact' | 'request-uri';
  /** Name-addr values, in the order Route headers are written (§12.2.1.1). */
  readonly routeSet: readonly string[];
  /** The INVITE's CSeq number: the ACK for a 2xx reuses it (§13.2.2.4). */
  readonly inviteCseq: number;
  private cseq: number;

  private constructor(f: {
    callId: string; localTag: string; remoteTag: string; localUri: string; remoteUri: string;
    remoteTarget: string; remoteTargetSource: 'contact' | 'request-uri'; routeSet: string[]; inviteCseq: number;
  }) {
    this.callId = f.callId;
    this.localTag = f.localTag;
    this.remoteTag = f.remoteTag;
    this.localUri = f.localUri;
    this.remoteUri = f.remoteUri;
    this.remoteTarget = f.remoteTarget;
    this.remoteTargetSource = f.remoteTargetSource;
    this.routeSet = Object.freeze(f.routeSet);
    this.inviteCseq = f.inviteCseq;
    this.cseq = f.inviteCseq;
  }

  /**
   * The dialog a 2xx to our INVITE creates (§12.1.2). Throws `SIP_DIALOG_MISMATCH` when the response does not
   * answer this INVITE (status, CSeq, Call-ID or From tag differ) and `SIP_BAD_HEADER` for unreadable From/To.
   */
  static fromInvite2xx(invite: SipRequest, res: SipResponse): Dialog {
    return Dialog.fromUac2xx('INVITE', invite, res);
  }

  /**
   * The dialog a 2xx to our SUBSCRIBE creates (RFC 6665 §4.1.2.1 and §4.3: built like an INVITE's, §12.1.2), for the
   * refreshes and the final `Expires: 0` SUBSCRIBE sent in it. Same checks and errors as fromInvite2xx.
   */
  static fromSubscribe2xx(subscribe: SipRequest, res: SipResponse): Dialog {
    return Dialog.fromUac2xx('SUBSCRIBE', subscribe, res);
  }

  private static fromUac2xx(method: 'INVITE' | 'SUBSCRIBE', invite: SipRequest, res: SipResponse): Dialog {
    if (invite.method !== method) throw new Gb28181Error('SIP_DIALOG_MISMATCH', `expected a ${method}, not ${invite.method}`);
    if (res.status < 200 || res.status >= 300) throw new Gb28181Error('SIP_DIALOG_MISMATCH', `a ${res.status} creates no dialog`);
    const callId = invite.headers.get('Call-ID') ?? '';
    if (callId === '' || res.headers.get('Call-ID') !== callId) throw new Gb28181Error('SIP_DIALOG_MISMATCH', `the 2xx has another Call-ID than the ${method}`);
    const inviteCseq = parseCSeq(invite.headers.get('CSeq') ?? '');
    const resCseq = parseCSeq(res.headers.get('CSeq') ?? '');
    if (resCseq.method !== method || resCseq.seq !== inviteCseq.seq) throw new Gb28181Error('SIP_DIALOG_MISMATCH', `the 2xx has another CSeq than the ${method}`);
    const from = parseNameAddr(invite.headers.get('From') ?? '');
    const localTag = from.params['tag'];
    if (!localTag) throw new Gb28181Error('SIP_DIALOG_MISMATCH', `the ${method} has no From tag`);
    const resFromTag = parseNameAddr(res.headers.get('From') ?? '').params['tag'];
    if (resFromTag !== localTag) throw new Gb28181Error('SIP_DIALOG_MISMATCH', `the 2xx has another From tag than the ${method}`);
    const to = parseNameAddr(res.headers.get('To') ?? '');
    const remoteTag = to.params['tag'] ?? '';

    // §12.1.2: the remote target is the Contact of the 2xx, which §13.3.1.4 makes mandatory. Some GB28181
    // devices leave it out anyway. The INVITE's Request-URI reached the device (or the registered flow that
    // stands for it), so it is the best target left; without any, the dialog could not be ended with a BYE.
    let remoteTarget = invite.uri;
    let remoteTargetSource: 'contact' | 'request-uri' = 'request-uri';
    const contact = res.headers.getAll('Contact')[0];
    if (contact !== undefined) {
      try {
        const uri = parseNameAddr(contact).uri;
        if (uri !== '*') {
          remoteTarget = uri;
          remoteTargetSource = 'contact';
        }
      } catch {
        // an unreadable Contact: keep the fallback above
      }
    }
    // §12.1.2: "the route set MUST be set to the list of URIs in the Record-Route header field from the response,
    // taken in reverse order". Elements are kept as written (name-addr, with their ;lr).
    const routeSet = res.headers.getAll('Record-Route').reverse();
    return new Dialog({
      callId, localTag, remoteTag, localUri: from.uri, remoteUri: to.uri, remoteTarget, remoteTargetSource, routeSet, inviteCseq: inviteCseq.seq,
    });
  }

  /**
   * The dialog as the UAS sees it when it answers a dialog-creating request (INVITE, SUBSCRIBE) with a 2xx carrying
   * To tag `localTag` (§12.1.1): local URI = the request's To URI, remote URI = its From URI, remote tag = its From
   * tag, remote target = its Contact (else the Request-URI's peer is unknown: the From URI), route set = its
   * Record-Route in order, remote CSeq = its CSeq; our own CSeq starts at a fresh number (here 1, §12.1.1 leaves it
   * open). Throws `SIP_DIALOG_MISMATCH` for a request without a From tag or Call-ID, `SIP_BAD_HEADER` for unreadable
   * From/To.
   */
  static fromUasRequest(req: SipRequest, localTag: string): Dialog {
    const callId = req.headers.get('Call-ID') ?? '';
    if (callId === '') throw new Gb28181Error('SIP_DIALOG_MISMATCH', 'the request has no Call-ID');
    const from = parseNameAddr(req.headers.get('From') ?? '');
    const remoteTag = from.params['tag'];
    if (!remoteTag) throw new Gb28181Error('SIP_DIALOG_MISMATCH', 'the request has no From tag');
    const to = parseNameAddr(req.headers.get('To') ?? '');
    const reqCseq = parseCSeq(req.headers.get('CSeq') ?? '');
    let remoteTarget = from.uri;
    let remoteTargetSource: 'contact' | 'request-uri' = 'request-uri';
    const contact = req.headers.getAll('Contact')[0];
    if (contact !== undefined) {
      try {
        const uri = parseNameAddr(contact).uri;
        if (uri !== '*') {
          remoteTarget = uri;
          remoteTargetSource = 'contact';
        }
      } catch {
        // an unreadable Contact: the From URI stands in
      }
    }
    const d = new Dialog({
      callId, localTag, remoteTag, localUri: to.uri, remoteUri: from.uri, remoteTarget, remoteTargetSource,
      routeSet: req.headers.getAll('Record-Route'), inviteCseq: reqCseq.seq,
    });
    d.cseq = 0;
    return d;
  }

  /** Call-ID, local tag and remote tag (§12): what identifies this dialog. */
  get id(): string {
    return `${this.callId};${this.localTag};${this.remoteTag}`;
  }

  /** The CSeq number of the last request we sent in this dialog (the INVITE's until the first new request). */
  get localCseq(): number {
    return this.cseq;
  }

  /**
   * The ACK for the 2xx (§13.2.2.4): built like any in-dialog request (Request-URI = remote target, Route from
   * the route set, a new branch), but with the INVITE's CSeq number and method ACK. The same ACK answers every
   * retransmission of that 2xx. Not a transaction: the caller sends it directly.
   */
  buildAck(o: DialogRequestOptions): SipRequest {
    return this.build('ACK', this.inviteCseq, o);
  }

  /** A new request in the dialog (§12.2.1.1): BYE, INFO, ... with the next local CSeq number. */
  createRequest(method: string, o: DialogRequestOptions): SipRequest {
    const m = method.toUpperCase();
    if (m === 'ACK' || m === 'CANCEL') throw new Gb28181Error('SIP_DIALOG_BAD_METHOD', `${m} reuses a CSeq number: use buildAck() or buildCancel()`);
    if (this.cseq >= MAX_CSEQ) throw new Gb28181Error('SIP_BAD_CSEQ', 'local CSeq exhausted');
    this.cseq++;
    return this.build(m, this.cseq, o);
  }

  private build(method: string, cseq: number, o: DialogRequestOptions): SipRequest {
    const { uri, routes } = this.routing();
    return createRequest({
      method, uri,
      via: { transport: o.via.transport, host: o.via.host, port: o.via.port, branch: newBranch(), rport: o.via.rport },
      from: { uri: this.localUri, tag: this.localTag },
      to: { uri: this.remoteUri, tag: this.remoteTag === '' ? undefined : this.remoteTag },
      callId: this.callId,
      cseq,
      contact: o.contact,
      headers: [...routes.map((r): [string, string] => ['Route', r]), ...(o.headers ?? [])],
      body: o.body,
      contentType: o.contentType,
    });
  }

  /**
   * §12.2.1.1: with an empty route set or a loose router first (`;lr`), the Request-URI is the remote target and
   * Route is the route set. A strict router first (RFC 2543) takes the Request-URI itself; the remote target then
   * goes last in Route.
   */
  private routing(): { uri: string; routes: readonly string[] } {
    const first = this.routeSet[0];
    if (first === undefined) return { uri: this.remoteTarget, routes: [] };
    let firstUri: string;
    try {
      firstUri = parseNameAddr(first).uri;
    } catch {
      return { uri: this.remoteTarget, routes: this.routeSet };
    }
    if (/;lr(?=[;=?]|$)/i.test(firstUri)) return { uri: this.remoteTarget, routes: this.routeSet };
    return { uri: firstUri, routes: [...this.routeSet.slice(1), `<${this.remoteTarget}>`] };
  }
}

/** The sent-by of a request's top Via: requests we add to its dialog say they come from the same place. */
export function viaSentByOf(req: SipRequest): ViaSentBy {
  const top = req.headers.getAll('Via')[0];
  if (top === undefined) throw new Gb28181Error('SIP_MISSING_HEADER', 'request without Via');
  const v = parseVia(top);
  const sentBy: ViaSentBy = { transport: v.transport, host: v.host, port: v.port ?? 5060 };
  if ('rport' in v.params) sentBy.rport = true;
  return sentBy;
}
