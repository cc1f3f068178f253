import { Gb28181Error, StreamFailure } from '../../errors';
import type { SipMessage, SipRequest, SipResponse } from '../sip-message';
import { getTag } from '../sip-header-values';
import type { ClientTransaction } from '../transaction/client-transaction';
import type { SipScheduler } from '../transaction/sip-timers';
import type { SipTransactionManager } from '../transaction/sip-transaction.manager';
import type { AbandonedInvite, AbandonedInvites } from './abandoned-invites';
import { buildCancel } from './cancel-request';
import { Dialog, viaSentByOf, type ViaSentBy } from './dialog';
import { emitInviteEvent, type InviteUsageEvent, type InviteUsageListener } from './invite-events';

/** What a successful INVITE gives the caller: the dialog (already ACKed) and the 2xx (its SDP answer). */
export interface InviteAnswer {
  dialog: Dialog;
  response: SipResponse;
}

export interface InviteClientUsageOptions {
  transactions: SipTransactionManager;
  /** Sends toward the device: the INVITE's transaction, its ACK (not a transaction, §13.2.2.4), CANCEL and BYE. */
  send(m: SipMessage): void;
  /** TCP: no retransmissions (§17.1.1.2). */
  reliable: boolean;
  scheduler: SipScheduler;
  /** How long the caller waits for a final answer before giving up (CANCEL when it can). */
  answerTimeoutMs: number;
  /** Where the 2xx that come after we gave up are ACKed and BYEd, also after the INVITE transaction ended. */
  abandonedInvites: AbandonedInvites;
  /** Via sent-by for the ACK and BYE; default: the INVITE's top Via. */
  via?: ViaSentBy;
  /** Contact for the ACK and BYE (optional). */
  contact?: string;
  onProvisional?(res: SipResponse): void;
  onEvent?: InviteUsageListener;
}

export type InviteClientUsageState = 'idle' | 'calling' | 'proceeding' | 'established' | 'refused' | 'abandoned' | 'closed';

/**
 * The UAC side of one INVITE (RFC 3261 §13.2): the caller decides when to give up, this decides how.
 *
 *   first 2xx          -> ACK sent here (§13.2.2.4), `start()` resolves with { dialog, response };
 *                         each retransmission of that 2xx is ACKed again
 *   final >= 300       -> the transaction ACKs it (§17.1.1.3); rejects StreamFailure('DEVICE_REFUSED', …, status)
 *   answer timeout, Timer B or abandon()
 *                      -> rejects StreamFailure('DEVICE_NO_ANSWER'), then:
 *      a 1xx came      -> CANCEL now (§9.1), 487 expected for the INVITE
 *      none yet        -> CANCEL when the first 1xx arrives (§9.1: never before)
 *      64*T1 after the CANCEL without a final -> the INVITE transaction is destroyed (§9.1)
 *   any 2xx after we gave up (late, racing the CANCEL, after the transaction ended, a second fork)
 *                      -> ACK + BYE once per remote tag, through the AbandonedInvites registry (§15)
 *
 * Hanging up an established dialog is the dialog's BYE (`dialog.createRequest('BYE', …)`), sent by the caller.
 */
export class InviteClientUsage {
  readonly result: Promise<InviteAnswer>;
  private resolveResult!: (a: InviteAnswer) => void;
  private rejectResult!: (e: Error) => void;
  private stateValue: InviteClientUsageState = 'idle';
  private settled = false;
  private tx: ClientTransaction | undefined;
  private txEnded = false;
  private provisionalSeen = false;
  private finalSeen = false;
  private cancelSent = false;
  /** Known to the AbandonedInvites registry (we gave up, or a second fork came). */
  private registered = false;
  private answerTimer: unknown;
  private cancelGuard: unknown;
  private established: { dialog: Dialog; ack: SipRequest } | undefined;
  private readonly via: ViaSentBy;
  private readonly callId: string;

  constructor(
    readonly invite: SipRequest,
    private readonly opts: InviteClientUsageOptions,
  ) {
    if (invite.method !== 'INVITE') throw new Gb28181Error('SIP_DIALOG_BAD_METHOD', `InviteClientUsage sends an INVITE, not ${invite.method}`);
    if (!(opts.answerTimeoutMs > 0 && Number.isFinite(opts.answerTimeoutMs))) throw new Gb28181Error('SIP_BAD_TIMEOUT', `answer timeout ${opts.answerTimeoutMs} ms`);
    this.via = opts.via ?? viaSentByOf(invite);
    this.callId = invite.headers.get('Call-ID') ?? '';
    // Call-ID + From tag make the dialog and the AbandonedInvites key (§12): refuse an INVITE without them up front.
    if (this.callId === '' || !getTag(invite.headers.get('From') ?? '')) throw new Gb28181Error('SIP_MISSING_HEADER', 'INVITE without Call-ID or From tag');
    this.result = new Promise<InviteAnswer>((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    // A caller that stops listening (it gave up itself) must not turn our rejection into an unhandled one.
    this.result.catch(() => undefined);
  }

  get state(): InviteClientUsageState {
    return this.stateValue;
  }

  /** The established dialog, once the first 2xx came. */
  get dialog(): Dialog | undefined {
    return this.established?.dialog;
  }

  /** Sends the INVITE in a client transaction and starts the answer timeout. */
  start(): Promise<InviteAnswer> {
    if (this.stateValue !== 'idle') throw new Gb28181Error('SIP_TX_BAD_STATE', `INVITE usage already ${this.stateValue}`);
    this.stateValue = 'calling';
    this.tx = this.opts.transactions.sendRequest(this.invite, this.opts.send, this.opts.reliable, {
      onResponse: (res) => this.onResponse(res),
      onTimeout: () => this.giveUp(noAnswer('no response to the INVITE within 64*T1 (Timer B)')),
      onTerminated: () => this.onTransactionEnded(),
    });
    this.answerTimer = this.opts.scheduler.setTimer(this.opts.answerTimeoutMs, () => {
      this.answerTimer = undefined;
      this.giveUp(noAnswer(`no final answer to the INVITE within ${this.opts.answerTimeoutMs} ms`));
    });
    return this.result;
  }

  /**
   * The caller no longer wants this INVITE (its stream was stopped before the answer). Rejects with `cause`
   * (default DEVICE_NO_ANSWER) and cancels as the answer timeout does. False once settled: an established dialog
   * is ended with its BYE instead.
   */
  abandon(cause?: Error): boolean {
    return this.giveUp(cause ?? noAnswer('INVITE abandoned by the caller before a final answer'));
  }

  /** Shutdown: ends the INVITE transaction and this usage's timers without sending anything more. Idempotent. */
  close(): void {
    if (this.stateValue === 'closed') return;
    const wasSettled = this.settled;
    this.stateValue = 'closed';
    this.settled = true;
    this.clearTimers();
    if (this.tx && !this.txEnded) this.opts.transactions.terminateClient(this.tx);
    if (!wasSettled) this.rejectResult(noAnswer('INVITE usage closed before a final answer'));
  }

  private onResponse(res: SipResponse): void {
    if (this.stateValue === 'closed') return;
    if (res.status < 200) {
      this.provisionalSeen = true;
      if (this.stateValue === 'calling') this.stateValue = 'proceeding';
      this.emit({ type: 'provisional', callId: this.callId, status: res.status });
      if (!this.settled) safeCall(() => this.opts.onProvisional?.(res));
      if (this.stateValue === 'abandoned' && !this.cancelSent) this.sendCancel();
      return;
    }
    this.finalSeen = true;
    this.stopCancelGuard();
    if (res.status < 300) return this.on2xx(res);
    if (!this.settled) {
      this.stateValue = 'refused';
      this.settle();
      this.rejectResult(new StreamFailure('DEVICE_REFUSED', `the device answered the INVITE ${res.status} ${res.reason}`, res.status));
    } else if (this.stateValue === 'abandoned') this.emit({ type: 'abandoned-final', callId: this.callId, status: res.status });
  }

  private on2xx(res: SipResponse): void {
    const e = this.established;
    if (e && remoteTagOf(res) === e.dialog.remoteTag) {
      this.opts.send(e.ack); // §13.2.2.4: the same ACK for each retransmission of the 2xx
      this.emit({ type: 'ack-resent', callId: this.callId, status: res.status, remoteTag: e.dialog.remoteTag });
      return;
    }
    if (!this.settled) {
      let dialog: Dialog;
      try {
        dialog = Dialog.fromInvite2xx(this.invite, res);
      } catch (err) {
        // No dialog we could ACK or BYE: the device will retransmit, then give up (Timer H on its side).
        this.stateValue = 'refused';
        this.settle();
        this.rejectResult(new StreamFailure('DEVICE_REFUSED', `the device's ${res.status} to the INVITE is unusable: ${(err as Error).message}`, res.status, { cause: err }));
        return;
      }
      const ack = dialog.buildAck({ via: this.via, contact: this.opts.contact });
      this.established = { dialog, ack };
      this.opts.send(ack);
      this.stateValue = 'established';
      this.settle();
      this.resolveResult({ dialog, response: res });
      return;
    }
    // We gave up, or this is a second fork after the dialog we keep: ACK + BYE (once per remote tag).
    this.register();
    this.opts.abandonedInvites.handleResponse(res);
  }

  private giveUp(cause: Error): boolean {
    if (this.settled) return false;
    this.stateValue = 'abandoned';
    this.settle();
    this.rejectResult(cause);
    this.register();
    if (this.txEnded) return true; // Timer B: nothing to cancel; the registry answers a 2xx still coming
    if (this.provisionalSeen) this.sendCancel();
    else this.emit({ type: 'cancel-deferred', callId: this.callId });
    return true;
  }

  private sendCancel(): void {
    this.cancelSent = true;
    const cancel = buildCancel(this.invite);
    try {
      this.opts.transactions.sendRequest(cancel, this.opts.send, this.opts.reliable, {
        onResponse: (r) => {
          if (r.status >= 200) this.emit({ type: 'cancel-answered', callId: this.callId, status: r.status });
        },
        onTimeout: () => undefined, // the guard below ends the INVITE either way
      });
    } catch (err) {
      this.emit({ type: 'error', callId: this.callId, detail: `CANCEL not sent: ${(err as Error).message}` });
    }
    this.emit({ type: 'cancel-sent', callId: this.callId });
    if (this.finalSeen) return;
    // §9.1: no final response within 64*T1 of the CANCEL: consider the INVITE cancelled, destroy its transaction.
    this.cancelGuard = this.opts.scheduler.setTimer(64 * this.opts.transactions.timerValues.T1, () => {
      this.cancelGuard = undefined;
      if (this.tx && !this.txEnded) {
        this.emit({ type: 'cancel-expired', callId: this.callId });
        this.opts.transactions.terminateClient(this.tx);
      }
    });
  }

  private onTransactionEnded(): void {
    this.txEnded = true;
    this.stopCancelGuard();
    if (this.stateValue === 'closed') return;
    if (!this.settled) this.giveUp(noAnswer('the INVITE transaction ended without a final answer'));
    // From now on late 2xx match no transaction: the registry answers them, lingering from this moment.
    else if (this.registered) this.register();
  }

  private register(): void {
    this.registered = true;
    this.opts.abandonedInvites.add(this.abandonedEntry());
  }

  private abandonedEntry(): AbandonedInvite {
    const e = this.established;
    return {
      invite: this.invite, send: this.opts.send, reliable: this.opts.reliable, via: this.via, contact: this.opts.contact, onEvent: this.opts.onEvent,
      keep: e ? new Map([[e.dialog.remoteTag, e.ack]]) : undefined,
    };
  }

  private settle(): void {
    this.settled = true;
    if (this.answerTimer !== undefined) {
      this.opts.scheduler.clearTimer(this.answerTimer);
      this.answerTimer = undefined;
    }
  }

  private stopCancelGuard(): void {
    if (this.cancelGuard !== undefined) {
      this.opts.scheduler.clearTimer(this.cancelGuard);
      this.cancelGuard = undefined;
    }
  }

  private clearTimers(): void {
    if (this.answerTimer !== undefined) this.opts.scheduler.clearTimer(this.answerTimer);
    this.answerTimer = undefined;
    this.stopCancelGuard();
  }

  private emit(e: InviteUsageEvent): void {
    emitInviteEvent(this.opts.onEvent, e);
  }
}

function noAnswer(message: string): StreamFailure {
  return new StreamFailure('DEVICE_NO_ANSWER', message);
}

/** The To tag of a response (parseNameAddr, never a regex); '' when absent or unreadable. */
export function remoteTagOf(res: SipResponse): string {
  try {
    return getTag(res.headers.get('To') ?? '') ?? '';
  } catch {
    return '';
  }
}

function safeCall(fn: () => void): void {
  try {
    fn();
  } catch {
    /* the caller's callback cannot break the usage */
  }
}
