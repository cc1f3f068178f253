/**
 * The time axis of the playback timeline: a day [dayStart, dayEnd) in unix seconds and the visible window inside it,
 * zoomable from the whole day down to MIN_VIEW_S and pannable. DOM-free (pure arithmetic), so a Node spec can use it.
 */

/** Narrowest window: a few minutes across the bar, so a click lands within a second or two. */
export const MIN_VIEW_S = 120;
/** One wheel notch or zoom button: the window shrinks or grows by this factor. */
export const ZOOM_STEP = 1.5;
/** Tick spacings (seconds) the axis picks from: the smallest that leaves at least MIN_TICK_PX between labels. */
const TICK_STEPS_S = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600];
const MIN_TICK_PX = 70;

export interface TimeWindow {
  from: number;
  to: number;
}

export class TimelineScale {
  private view: TimeWindow;

  constructor(
    readonly dayStart: number,
    readonly dayEnd: number,
  ) {
    this.view = { from: dayStart, to: dayEnd };
  }

  get window(): TimeWindow {
    return { ...this.view };
  }

  get span(): number {
    return this.view.to - this.view.from;
  }

  /** Time (fractional unix seconds) at x pixels from the left of a bar `width` pixels wide. */
  timeAt(x: number, width: number): number {
    return this.view.from + (Math.min(Math.max(x, 0), width) / width) * this.span;
  }

  /** x pixels of a time (may fall outside [0, width] when the time is outside the window). */
  xOf(time: number, width: number): number {
    return ((time - this.view.from) / this.span) * width;
  }

  /** Seconds per pixel: how precisely a click picks a time. */
  resolution(width: number): number {
    return this.span / width;
  }

  /** Zoom by `factor` (< 1 in, > 1 out) keeping `anchor` (a time) where it is on the bar. */
  zoom(factor: number, anchor = (this.view.from + this.view.to) / 2): void {
    const full = this.dayEnd - this.dayStart;
    const span = Math.min(full, Math.max(MIN_VIEW_S, this.span * factor));
    const ratio = (anchor - this.view.from) / this.span;
    this.setWindow(anchor - ratio * span, span);
  }

  /** Move the window by `seconds` (positive: later), clamped to the day. */
  pan(seconds: number): void {
    this.setWindow(this.view.from + seconds, this.span);
  }

  /** The whole day. */
  reset(): void {
    this.view = { from: this.dayStart, to: this.dayEnd };
  }

  private setWindow(from: number, span: number): void {
    const f = Math.min(Math.max(from, this.dayStart), this.dayEnd - span);
    this.view = { from: f, to: f + span };
  }

  /** Tick times (on whole multiples of the step in local time) inside the window for a bar `width` pixels wide. */
  ticks(width: number): { step: number; times: number[] } {
    const step = TICK_STEPS_S.find((s) => (s / this.span) * width >= MIN_TICK_PX) ?? TICK_STEPS_S[TICK_STEPS_S.length - 1]!;
    // Local midnight is dayStart: count steps from it so labels fall on :00, :15 … of local time.
    const first = this.dayStart + Math.ceil((this.view.from - this.dayStart) / step) * step;
    const times: number[] = [];
    for (let t = first; t <= this.view.to; t += step) times.push(t);
    return { step, times };
  }
}

/** Local midnight of a `YYYY-MM-DD` day and of the next day (unix seconds; a DST day is 23 or 25 h). */
export function dayBounds(day: string): TimeWindow | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
  const from = new Date(y, mo, d).getTime() / 1000;
  const to = new Date(y, mo, d + 1).getTime() / 1000;
  return Number.isFinite(from) && to > from ? { from, to } : null;
}

/** `YYYY-MM-DD` of a time in local time (the value of an <input type=date>). */
export function localDay(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
