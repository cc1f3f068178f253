/**
 * RFC 3261 §17 timers. Time never comes from a clock here: the transaction layer asks an
 * injected scheduler for one-shot timers, so tests drive it with a virtual clock.
 */
export interface SipScheduler {
  setTimer(ms: number, fn: () => void): unknown;
  clearTimer(handle: unknown): void;
}

/** RFC 3261 §17.1.1.1 / Table 4: T1 = RTT estimate, T2 = max non-INVITE retransmit interval, T4 = max network lifetime. */
export interface SipTimerValues {
  T1: number;
  T2: number;
  T4: number;
}

export const DEFAULT_SIP_TIMERS: Readonly<SipTimerValues> = Object.freeze({ T1: 500, T2: 4000, T4: 5000 });

/** A transaction's named timers; `clearAll()` on termination leaves nothing scheduled. */
export class TransactionTimers {
  private readonly handles = new Map<string, unknown>();

  constructor(private readonly scheduler: SipScheduler) {}

  start(name: string, ms: number, fn: () => void): void {
    this.stop(name);
    const h = this.scheduler.setTimer(ms, () => {
      this.handles.delete(name);
      fn();
    });
    this.handles.set(name, h);
  }

  stop(name: string): void {
    if (this.handles.has(name)) {
      this.scheduler.clearTimer(this.handles.get(name));
      this.handles.delete(name);
    }
  }

  clearAll(): void {
    for (const h of this.handles.values()) this.scheduler.clearTimer(h);
    this.handles.clear();
  }

  get active(): number {
    return this.handles.size;
  }
}
