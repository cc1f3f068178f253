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
    while (this.fireNext(t));
    this.now = t;
  }

  /**
   * Like advanceBy for code under test that awaits between timers: `settle()` (e.g. a few resolved-promise turns) is
   * awaited before each timer fires and once at the end.
   */
  async advanceBySettled(ms: number, settle: () => Promise<void>): Promise<void> {
    const until = this.now + ms;
    do await settle();
    while (this.fireNext(until));
    this.now = until;
    await settle();
  }

  /** Fires the earliest timer due at or before `t` (ties in the order set); false when none is. */
  private fireNext(t: number): boolean {
    let next: [number, { at: number; fn: () => void }] | undefined;
    for (const e of this.timers) if (e[1].at <= t && (!next || e[1].at < next[1].at || (e[1].at === next[1].at && e[0] < next[0]))) next = e;
    if (!next) return false;
    this.timers.delete(next[0]);
    this.now = next[1].at;
    next[1].fn();
    return true;
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.now + ms);
  }
}
