import { Gb28181Error } from '../../errors';
import { SipMessage, SipRequest, SipResponse } from '../sip-message';
import { createResponse } from '../sip-builders';
import { SipScheduler, SipTimerValues, TransactionTimers } from './sip-timers';
import type { CompletedServerTransaction } from './completed-server-transactions';

export type ServerTransactionState = 'Trying' | 'Proceeding' | 'Completed' | 'Confirmed' | 'Accepted' | 'Terminated';

/**
 * Server transactions (RFC 3261 §17.2).
 *
 * INVITE (§17.2.1, with the RFC 6026 Accepted state):
 *   created: Proceeding, 100 Trying sent
 *   1xx from TU -> Proceeding;  2xx -> Accepted (2xx retransmitted T1, 2T1..T2 until the ACK,
 *   Timer L = 64*T1 -> Terminated);  300-699 -> Completed (Timer G retransmits, Timer H = 64*T1)
 *   ACK in Completed -> Confirmed, Timer I = T4 (0 on reliable transports) -> Terminated
 * non-INVITE (§17.2.2):
 *   Trying -1xx-> Proceeding -final-> Completed, Timer J = 64*T1 (0 reliable) -> Terminated.
 *   Request retransmissions are answered with the last response sent. With an `onCompleted` owner (the manager),
 *   Completed over UDP is handed to it: it keeps only the key and the response (CompletedServerTransaction)
 *   and runs Timer J; this object then reports Completed, and Terminated once the owner's record has expired.
 * `kind: 'ack'` is a stand-in for an ACK that matched no INVITE transaction (the ACK of a 2xx,
 * its own transaction in RFC 3261): it is already Terminated and cannot be responded to.
 */
export class ServerTransaction {
  private stateValue: ServerTransactionState;
  private lastResponse: SipResponse | undefined;
  private readonly timers: TransactionTimers;
  private gInterval: number;
  /** Set when Completed was handed to the owner (non-INVITE over UDP with `onCompleted`). */
  private handedOff: CompletedServerTransaction | undefined;

  constructor(
    readonly id: string,
    readonly kind: 'invite' | 'non-invite' | 'ack',
    readonly request: SipRequest,
    private readonly send: (m: SipMessage) => void,
    readonly reliable: boolean,
    scheduler: SipScheduler,
    private readonly t: SipTimerValues,
    private readonly onTerminated: (tx: ServerTransaction) => void,
    /** Non-INVITE over UDP: takes over Completed (retransmissions, Timer J) with the final response sent. */
    private readonly onCompleted?: (tx: ServerTransaction, res: SipResponse) => CompletedServerTransaction,
  ) {
    this.timers = new TransactionTimers(scheduler);
    this.gInterval = t.T1;
    this.stateValue = kind === 'invite' ? 'Proceeding' : kind === 'ack' ? 'Terminated' : 'Trying';
  }

  get state(): ServerTransactionState {
    if (this.handedOff?.expired && this.stateValue === 'Completed') return 'Terminated';
    return this.stateValue;
  }

  get method(): string {
    return this.request.method;
  }

  /** @internal the transport's send for this request's source (stateless responses use it). */
  get sendFn(): (m: SipMessage) => void {
    return this.send;
  }

  /** @internal called by the manager right after creation. */
  start(): void {
    // §17.2.1: the INVITE server transaction answers 100 Trying itself.
    if (this.kind === 'invite') this.transmit(createResponse(this.request, 100));
  }

  /** @internal the TU's response. */
  respond(res: SipResponse): void {
    const s = this.stateValue;
    if (s === 'Terminated' || s === 'Completed' || s === 'Confirmed') {
      throw new Gb28181Error('SIP_TX_BAD_STATE', `cannot send ${res.status} in state ${s}`);
    }
    if (s === 'Accepted') {
      // RFC 6026 §8.7: 2xx retransmissions from the TU pass through
      if (res.status >= 200 && res.status < 300) this.transmit(res);
      return;
    }
    if (res.status < 200) {
      this.stateValue = 'Proceeding';
      this.transmit(res);
      return;
    }
    this.transmit(res);
    if (this.kind === 'invite') {
      if (res.status < 300) {
        this.stateValue = 'Accepted';
        this.timers.start('L', 64 * this.t.T1, () => this.terminate());
        if (!this.reliable) this.scheduleG();
      } else {
        this.stateValue = 'Completed';
        if (!this.reliable) this.scheduleG();
        this.timers.start('H', 64 * this.t.T1, () => this.terminate());
      }
    } else {
      this.stateValue = 'Completed';
      if (this.reliable) this.terminate();
      else if (this.onCompleted) this.handedOff = this.onCompleted(this, res);
      else this.timers.start('J', 64 * this.t.T1, () => this.terminate());
    }
  }

  /** @internal a retransmission of the request (or the ACK of a non-2xx final response). */
  receive(req: SipRequest): void {
    if (req.method === 'ACK') {
      if (this.stateValue === 'Completed') {
        this.stateValue = 'Confirmed';
        this.timers.stop('G');
        this.timers.stop('H');
        if (this.reliable) this.terminate();
        else this.timers.start('I', this.t.T4, () => this.terminate());
      }
      return; // Confirmed / other states absorb the ACK
    }
    const s = this.stateValue;
    if ((s === 'Proceeding' || s === 'Completed') && this.lastResponse) this.send(this.lastResponse);
    // Trying (no response yet) and Accepted (RFC 6026: absorb) / Confirmed: nothing to send
  }

  /** @internal the ACK for our 2xx arrived (matched by Call-ID and CSeq number). */
  ackFor2xx(): void {
    if (this.stateValue === 'Accepted') this.timers.stop('G');
  }

  /** @internal */
  terminate(): void {
    if (this.stateValue === 'Terminated' && this.timers.active === 0) return;
    this.stateValue = 'Terminated';
    this.timers.clearAll();
    this.onTerminated(this);
  }

  /** Timer G: T1, 2T1, 4T1 ... capped at T2 (§17.2.1); reused for 2xx retransmission (§13.3.1.4). */
  private scheduleG(): void {
    this.timers.start('G', this.gInterval, () => {
      if (this.stateValue !== 'Completed' && this.stateValue !== 'Accepted') return;
      if (this.lastResponse) this.send(this.lastResponse);
      this.gInterval = Math.min(2 * this.gInterval, this.t.T2);
      this.scheduleG();
    });
  }

  private transmit(res: SipResponse): void {
    this.lastResponse = res;
    this.send(res);
  }
}
