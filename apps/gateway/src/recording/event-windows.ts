/** Most event windows one channel keeps (merged; older ones are dropped once decided). */
export const MAX_EVENT_WINDOWS = 1000;

export interface TimeRange {
  /** Epoch milliseconds. */
  start: number;
  end: number;
}

/**
 * The time ranges an events plan keeps: each event at t gives [t − pre, t + post]; overlapping or touching windows
 * merge. Pure: event times and segment ranges in, decisions out.
 */
export class EventWindows {
  private windows: TimeRange[] = [];

  constructor(
    private readonly preMs: number,
    private readonly postMs: number,
  ) {}

  get list(): readonly TimeRange[] {
    return this.windows;
  }

  /** Adds the window of an event at `t` (epoch ms). */
  add(t: number): void {
    this.windows = mergeRanges([...this.windows, { start: t - this.preMs, end: t + this.postMs }]);
    if (this.windows.length > MAX_EVENT_WINDOWS) this.windows.splice(0, this.windows.length - MAX_EVENT_WINDOWS);
  }

  /** Whether [start, end) overlaps a window (the segment holds some of an event's video). */
  keeps(r: TimeRange): boolean {
    return this.windows.some((w) => r.start < w.end && r.end > w.start);
  }

  /**
   * Whether a segment can be dropped now: it overlaps no window and no event still to come can reach it (an event
   * at `now` or later reaches back to now − pre).
   */
  drops(r: TimeRange, now: number): boolean {
    return !this.keeps(r) && r.end < now - this.preMs;
  }

  /** Forgets windows that ended before `t` (their segments are decided). */
  prune(t: number): void {
    this.windows = this.windows.filter((w) => w.end >= t);
  }
}

/** Sorted, with overlapping or touching ranges merged. */
export function mergeRanges(ranges: readonly TimeRange[], toleranceMs = 0): TimeRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: TimeRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end + toleranceMs) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}
