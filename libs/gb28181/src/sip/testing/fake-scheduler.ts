import type { SipScheduler } from '../transaction/sip-timers';

/**
 * A virtual clock for specs: timers fire only when the test advances time, in deadline order
 * (ties in the order they were set), so retransmission and timeout schedules are exact.
 */
export class FakeScheduler implements SipScheduler {
  now = 0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  setTimer(ms: number, fn: () => void): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  }

  clearTimer(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.timers.size;
  }

  advanceTo(t: number): void {
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= t && (!next || e[1].at < next[1].at || (e[1].at === next[1].at && e[0] < next[0]))) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.now = next[1].at;
      next[1].fn();
    }
    this.now = t;
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.now + ms);
  }
}
