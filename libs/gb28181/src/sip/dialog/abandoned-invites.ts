import { Gb28181Error } from '../../errors';
import type { SipMessage, SipRequest, SipResponse } from '../sip-message';
import { parseCSeq, parseNameAddr } from '../sip-header-values';
import { DEFAULT_SIP_TIMERS, type SipScheduler } from '../transaction/sip-timers';
import type { SipTransactionManager } from '../transaction/sip-transaction.manager';
import { Dialog, viaSentByOf, type ViaSentBy } from './dialog';
import { emitInviteEvent, type InviteUsageListener } from './invite-events';

/**
 * How long an INVITE we gave up on is remembered, counted from the last time it was (re)registered: when we gave
 * up, and again when its client transaction ended. A device that sends its 2xx just before our transaction ends
 * retransmits it for 64*T1 (RFC 3261 §13.3.1.4, Timer L); another 64*T1 covers a 2xx sent that late. With the
 * default T1 that is 64 s, more than 64*T1 plus any answer timeout we use (8 s by default).
 */
export const ABANDONED_INVITE_LINGER_MS = 2 * 64 * DEFAULT_SIP_TIMERS.T1;

/** An INVITE we gave up on, as the registry needs it to answer a late 2xx. */
export interface AbandonedInvite {
  invite: SipRequest;
  /** Sends toward the device (the flow the INVITE went over). */
  send(m: SipMessage): void;
  reliable: boolean;
  /** Via sent-by for the ACK and BYE; default: the INVITE's top Via. */
  via?: ViaSentBy;
  contact?: string;
  /** Dialogs the caller keeps (already ACKed): a retransmission of their 2xx is ACKed again, never BYEd. */
  keep?: ReadonlyMap<string, SipRequest>;
  onEvent?: InviteUsageListener;
}

export interface AbandonedInvitesOptions {
  transactions: SipTransactionManager;
  scheduler: SipScheduler;
  /** Default 2*64*T1 of the transaction manager's timers: ABANDONED_INVITE_LINGER_MS with the default T1. */
  lingerMs?: number;
  /** Events of entries that bring no listener of their own. */
  onEvent?: InviteUsageListener;
}

interface Entry {
  invite: SipRequest;
  send: (m: SipMessage) => void;
  reliable: boolean;
  via: ViaSentBy;
  contact?: string;
  onEvent?: InviteUsageListener;
  inviteCseq: number;
  /** ACK per remote tag; a tag in here was answered already (ACK + BYE, or kept by the caller). */
  acks: Map<string, SipRequest>;
  timer: unknown;
}

/**
 * INVITEs we gave up on, keyed by Call-ID + local (From) tag, so that any 2xx still coming for them is ACKed and
 * ended with a BYE (RFC 3261 §15: a UAC that no longer wants a session it gets must ACK the 2xx and send a BYE).
 * The INVITE client usage hands its 2xx here once it has given up; the app hands here the responses that matched
 * no client transaction (a 2xx after Timer B, M or the CANCEL's 64*T1 ended the INVITE transaction).
 * One ACK + BYE per remote tag: a second forked 2xx gets its own. Entries expire after `lingerMs`.
 */
export class AbandonedInvites {
  private readonly entries = new Map<string, Entry>();
  private readonly lingerMs: number;
  private closed = false;

  constructor(private readonly opts: AbandonedInvitesOptions) {
    this.lingerMs = opts.lingerMs ?? 2 * 64 * opts.transactions.timerValues.T1;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Registers (or re-registers, keeping what was answered) an INVITE we gave up on; (re)starts its linger. */
  add(a: AbandonedInvite): void {
    if (this.closed) return;
    const key = keyOf(a.invite.headers.get('Call-ID'), a.invite.headers.get('From'));
    if (key === undefined) throw new Gb28181Error('SIP_MISSING_HEADER', 'INVITE without Call-ID or From tag');
    let e = this.entries.get(key);
    if (!e) {
      e = {
        invite: a.invite, send: a.send, reliable: a.reliable, via: a.via ?? viaSentByOf(a.invite), contact: a.contact, onEvent: a.onEvent,
        inviteCseq: parseCSeq(a.invite.headers.get('CSeq') ?? '').seq, acks: new Map(), timer: undefined,
      };
      this.entries.set(key, e);
    } else this.opts.scheduler.clearTimer(e.timer);
    for (const [tag, ack] of a.keep ?? []) if (!e.acks.has(tag)) e.acks.set(tag, ack);
    const entry = e;
    entry.timer = this.opts.scheduler.setTimer(this.lingerMs, () => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
  }

  /**
   * A response for one of our INVITEs we gave up on: a 2xx is ACKed, and the dialog it makes ended with a BYE the
   * first time its remote tag is seen; other statuses are absorbed. False when it is not for such an INVITE.
   */
  handleResponse(res: SipResponse): boolean {
    if (this.closed || this.entries.size === 0) return false;
    const key = keyOf(res.headers.get('Call-ID'), res.headers.get('From'));
    const e = key !== undefined ? this.entries.get(key) : undefined;
    if (!e) return false;
    let cseq;
    try {
      cseq = parseCSeq(res.headers.get('CSeq') ?? '');
    } catch {
      return false;
    }
    if (cseq.method !== 'INVITE' || cseq.seq !== e.inviteCseq) return false;
    if (res.status < 200 || res.status >= 300) return true;
    const callId = res.headers.get('Call-ID') ?? '';
    let dialog: Dialog;
    try {
      dialog = Dialog.fromInvite2xx(e.invite, res);
    } catch (err) {
      this.emit(e, { type: 'error', callId, detail: `late 2xx unusable: ${(err as Error).message}` });
      return true;
    }
    const known = e.acks.get(dialog.remoteTag);
    if (known) {
      e.send(known);
      this.emit(e, { type: 'late-2xx-ack-resent', callId, remoteTag: dialog.remoteTag, status: res.status });
      return true;
    }
    const ack = dialog.buildAck({ via: e.via, contact: e.contact });
    e.acks.set(dialog.remoteTag, ack);
    e.send(ack);
    this.emit(e, { type: 'late-2xx-ack-bye', callId, remoteTag: dialog.remoteTag, status: res.status });
    const bye = dialog.createRequest('BYE', { via: e.via, contact: e.contact });
    try {
      this.opts.transactions.sendRequest(bye, e.send, e.reliable, {
        onResponse: (r) => {
          if (r.status >= 200) this.emit(e, { type: 'bye-answered', callId, remoteTag: dialog.remoteTag, status: r.status });
        },
        onTimeout: () => this.emit(e, { type: 'bye-timeout', callId, remoteTag: dialog.remoteTag }),
      });
    } catch (err) {
      this.emit(e, { type: 'error', callId, remoteTag: dialog.remoteTag, detail: `BYE not sent: ${(err as Error).message}` });
    }
    return true;
  }

  /** Forgets every entry and clears every timer. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const e of this.entries.values()) this.opts.scheduler.clearTimer(e.timer);
    this.entries.clear();
  }

  private emit(e: Entry, ev: Parameters<InviteUsageListener>[0]): void {
    emitInviteEvent(e.onEvent ?? this.opts.onEvent, ev);
  }
}

function keyOf(callId: string | undefined, from: string | undefined): string | undefined {
  if (!callId || !from) return undefined;
  try {
    const tag = parseNameAddr(from).params['tag'];
    return tag ? `${callId}|${tag}` : undefined;
  } catch {
    return undefined;
  }
}
