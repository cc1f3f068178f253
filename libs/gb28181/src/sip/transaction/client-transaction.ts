import { SipHeaders, SipMessage, SipRequest, SipResponse } from '../sip-message';
import { SipScheduler, SipTimerValues, TransactionTimers } from './sip-timers';

export type ClientTransactionState = 'Calling' | 'Trying' | 'Proceeding' | 'Completed' | 'Accepted' | 'Terminated';

export interface ClientTransactionHandlers {
  onResponse(res: SipResponse): void;
  onTimeout(): void;
  /** The transaction ended, whatever the cause (Timer B/D/F/K/M, a final response on a reliable transport, close). */
  onTerminated?(): void;
}

/**
 * Client transactions (RFC 3261 §17.1).
 *
 * INVITE (§17.1.1, with the RFC 6026 Accepted state):
 *   Calling: Timer A retransmits at T1, 2T1, 4T1 ... (unreliable only), Timer B = 64*T1 -> timeout
 *   1xx -> Proceeding (A and B stop);  2xx -> Accepted, Timer M = 64*T1, every 2xx (also
 *   retransmissions) goes to the TU, which sends the ACK;  300-699 -> Completed: the transaction
 *   sends the ACK (§17.1.1.3) and re-sends it for each retransmitted final response; Timer D =
 *   64*T1 (0 reliable) -> Terminated.
 * non-INVITE (§17.1.2):
 *   Trying: Timer E retransmits at T1, then doubling up to T2 (T2 fixed once Proceeding);
 *   Timer F = 64*T1 -> timeout. Final -> Completed, Timer K = T4 (0 reliable) -> Terminated.
 */
export class ClientTransaction {
  private stateValue: ClientTransactionState;
  private readonly timers: TransactionTimers;
  private interval: number;
  private ack: SipRequest | undefined;

  constructor(
    readonly id: string,
    readonly request: SipRequest,
    private readonly send: (m: SipMessage) => void,
    readonly reliable: boolean,
    scheduler: SipScheduler,
    private readonly t: SipTimerValues,
    private readonly handlers: ClientTransactionHandlers,
    private readonly onTerminated: (tx: ClientTransaction) => void,
  ) {
    this.timers = new TransactionTimers(scheduler);
    this.interval = t.T1;
    this.stateValue = this.isInvite ? 'Calling' : 'Trying';
  }

  get state(): ClientTransactionState {
    return this.stateValue;
  }

  get isInvite(): boolean {
    return this.request.method === 'INVITE';
  }

  /** @internal */
  start(): void {
    this.send(this.request);
    if (this.isInvite) {
      if (!this.reliable) this.scheduleRetransmit('A');
      this.timers.start('B', 64 * this.t.T1, () => this.timeout());
    } else {
      if (!this.reliable) this.scheduleRetransmit('E');
      this.timers.start('F', 64 * this.t.T1, () => this.timeout());
    }
  }

  /** @internal a response whose top Via branch and CSeq method matched. */
  receive(res: SipResponse): void {
    const s = this.stateValue;
    if (s === 'Terminated') return;
    if (this.isInvite) this.receiveInvite(res);
    else this.receiveNonInvite(res);
  }

  private receiveInvite(res: SipResponse): void {
    const s = this.stateValue;
    if (res.status < 200) {
      if (s === 'Calling' || s === 'Proceeding') {
        this.stateValue = 'Proceeding';
        this.timers.stop('A');
        this.timers.stop('B');
        this.deliver(res);
      }
      return;
    }
    if (res.status < 300) {
      if (s === 'Calling' || s === 'Proceeding') {
        this.stateValue = 'Accepted';
        this.timers.stop('A');
        this.timers.stop('B');
        this.timers.start('M', 64 * this.t.T1, () => this.terminate());
        this.deliver(res);
      } else if (s === 'Accepted') this.deliver(res); // retransmitted 2xx: the TU re-sends its ACK
      return;
    }
    if (s === 'Calling' || s === 'Proceeding') {
      this.stateValue = 'Completed';
      this.timers.stop('A');
      this.timers.stop('B');
      this.ack = buildAckForNon2xx(this.request, res);
      this.send(this.ack);
      this.deliver(res);
      if (this.reliable) this.terminate();
      else this.timers.start('D', 64 * this.t.T1, () => this.terminate());
    } else if (s === 'Completed' && this.ack) this.send(this.ack);
  }

  private receiveNonInvite(res: SipResponse): void {
    const s = this.stateValue;
    if (s !== 'Trying' && s !== 'Proceeding') return; // Completed absorbs retransmissions
    if (res.status < 200) {
      this.stateValue = 'Proceeding';
      this.deliver(res);
      return;
    }
    this.stateValue = 'Completed';
    this.timers.stop('E');
    this.timers.stop('F');
    this.deliver(res);
    if (this.stateValue !== 'Completed') return; // the TU closed us meanwhile
    if (this.reliable) this.terminate();
    else this.timers.start('K', this.t.T4, () => this.terminate());
  }

  /** @internal */
  terminate(): void {
    if (this.stateValue === 'Terminated' && this.timers.active === 0) return;
    this.stateValue = 'Terminated';
    this.timers.clearAll();
    this.onTerminated(this);
    this.handlers.onTerminated?.();
  }

  private timeout(): void {
    this.terminate();
    this.handlers.onTimeout();
  }

  private deliver(res: SipResponse): void {
    this.handlers.onResponse(res);
  }

  /** Timer A doubles without bound (§17.1.1.2); Timer E doubles up to T2, and is T2 in Proceeding (§17.1.2.2). */
  private scheduleRetransmit(name: 'A' | 'E'): void {
    this.timers.start(name, this.interval, () => {
      if (name === 'A' && this.stateValue !== 'Calling') return;
      if (name === 'E' && this.stateValue !== 'Trying' && this.stateValue !== 'Proceeding') return;
      this.send(this.request);
      this.interval = name === 'A' ? 2 * this.interval : this.stateValue === 'Proceeding' ? this.t.T2 : Math.min(2 * this.interval, this.t.T2);
      this.scheduleRetransmit(name);
    });
  }
}

/**
 * §17.1.1.3: the ACK for a non-2xx final response. Same Request-URI, Call-ID, From and CSeq
 * number as the INVITE, To from the response (with its tag), only the INVITE's top Via, its Route headers.
 */
export function buildAckForNon2xx(invite: SipRequest, res: SipResponse): SipRequest {
  const h = new SipHeaders();
  const via = invite.headers.getAll('Via')[0];
  if (via !== undefined) h.append('Via', via);
  const from = invite.headers.get('From');
  if (from !== undefined) h.append('From', from);
  const to = res.headers.get('To') ?? invite.headers.get('To');
  if (to !== undefined) h.append('To', to);
  const callId = invite.headers.get('Call-ID');
  if (callId !== undefined) h.append('Call-ID', callId);
  const seq = (invite.headers.get('CSeq') ?? '').trim().split(/\s+/)[0] ?? '1';
  h.append('CSeq', `${seq} ACK`);
  for (const r of invite.headers.getAllLines('Route')) h.append('Route', r);
  h.append('Max-Forwards', invite.headers.get('Max-Forwards') ?? '70');
  h.append('Content-Length', '0');
  return { type: 'request', method: 'ACK', uri: invite.uri, version: 'SIP/2.0', headers: h, body: Buffer.alloc(0) };
}
