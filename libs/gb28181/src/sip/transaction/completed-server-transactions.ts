import { SipMessage, SipResponse } from '../sip-message';
import { SipScheduler } from './sip-timers';

/**
 * What a non-INVITE server transaction keeps in Completed over an unreliable transport (RFC 3261 §17.2.2): "any
 * retransmissions of the request ... MUST cause the server transaction to pass the final response to the transport
 * layer for retransmission", until Timer J (64*T1) ends it. That needs the matching key and the final response,
 * nothing else: the parsed request, the transaction object, its timers and the TU's closures are dropped when the
 * final response is sent, so a keepalive stream at N/s keeps 32*N of these small records instead of 32*N whole
 * transactions (issue 14: GC was 27 % of a 10,000/s burst).
 *
 * The response goes back through the transport's `send` of the retransmission itself, i.e. to the source the
 * retransmission came from (§18.2.2 with rport, RFC 3581), which is the original request's source unless the peer's
 * address changed in between. Not keeping the first request's `send` matters as much as dropping the request: a
 * TU's closure shares its scope with the request and the transaction, and would keep both alive for 32 s.
 */
export class CompletedServerTransaction {
  /** Set when Timer J has fired (or the manager closed): the transaction is Terminated. */
  expired = false;

  constructor(
    /** The §17.2.3 matching key, as in the manager's table. */
    readonly id: string,
    /** The final response sent, passed to the transport again for each retransmission of the request. */
    readonly response: SipResponse,
  ) {}

  /** A retransmission of the request: the final response again (§17.2.2), through the retransmission's transport. */
  receive(send: (m: SipMessage) => void): void {
    send(this.response);
  }
}

/**
 * Timer J of every completed non-INVITE server transaction, as time buckets instead of a timer each.
 *
 * The library reads no clock, so a bucket is measured with the scheduler itself: the first completion with no open
 * bucket opens one and a zero-delay timer; records completed until that timer fires join it; when it fires, the bucket
 * closes and its Timer J is started. Every record therefore lives at least 64*T1 (exactly that for the first, plus up
 * to one turn of the event loop for the others; never less, so no retransmission inside Timer J goes unanswered),
 * and a burst of 10,000 completions/s costs two scheduler timers per event-loop turn instead of 10,000 timers.
 * Records expire in completion order.
 */
export class TimerJBuckets {
  private open: CompletedServerTransaction[] | undefined;
  /** Scheduler handles of the closing and expiry timers still pending (cleared by `clear()`). */
  private readonly handles = new Set<unknown>();

  constructor(
    private readonly scheduler: SipScheduler,
    /** Timer J: 64*T1 (§17.2.2, Table 4). */
    private readonly durationMs: number,
    private readonly onExpired: (rec: CompletedServerTransaction) => void,
  ) {}

  add(rec: CompletedServerTransaction): void {
    if (this.open === undefined) this.openBucket();
    this.open!.push(rec);
  }

  /** Cancels every pending timer; the records still queued are left to the caller (the manager clears its table). */
  clear(): void {
    for (const h of this.handles) this.scheduler.clearTimer(h);
    this.handles.clear();
    this.open = undefined;
  }

  /** Pending scheduler timers (closing plus expiry), for tests and stats. */
  get pendingTimers(): number {
    return this.handles.size;
  }

  private openBucket(): void {
    const bucket: CompletedServerTransaction[] = [];
    this.open = bucket;
    const closing = this.scheduler.setTimer(0, () => {
      this.handles.delete(closing);
      if (this.open === bucket) this.open = undefined;
      const expiry = this.scheduler.setTimer(this.durationMs, () => {
        this.handles.delete(expiry);
        for (const rec of bucket) this.onExpired(rec);
      });
      this.handles.add(expiry);
    });
    this.handles.add(closing);
  }
}
