/**
 * Onset ("forming") warning of one ROI: the queue is building up, before the held alert
 * (congestion-alert-rule.ts) can be raised. docs/congestion.md, "Onset warning". Shared by the gateway (live
 * warnings) and the vision worker's evaluation. Pure: no timers, no clock; time comes in with each sample.
 */
import { CONGESTION_BAND_EDGES } from './vision';

export interface OnsetOptions {
  /** Trailing window the trend is measured over, ms. */
  windowMs: number;
  /** Least-squares slope of the index over the window, index points per minute, at or above which it is rising. */
  minSlopePerMin: number;
  /** Rise of the stationary share (0–1) between the first and the last third of the window needed as well. */
  minShareRise: number;
  /** The current index must be at least this (light): a rise within 'free' is no queue. */
  minIndex: number;
  /** A warning ends ('eased') once the slope stays ≤ 0, or the index below minIndex, this long (ms). */
  clearMs: number;
}

/**
 * Tuned on synthetic climbs and noise (congestion-onset.spec.ts): at ~1 score/s a climb from free to heavy over
 * 1–3 minutes (20–55 points/min) warns 30 s–2.5 min before the index reaches heavy; flat traffic with ±15 points of
 * noise, and free traffic, never warn.
 * - windowMs 60 s: long enough that per-frame noise averages out of the slope, short enough to follow a 1-minute climb.
 * - minSlopePerMin 10: one level band (20 points) per two minutes; the slope of ±15-point noise over 60 samples
 *   stays well below it most of the time, and the share and hold conditions catch the rest.
 * - minShareRise 0.1: vehicles are stopping (a tenth more of the tracks stationary), not merely more of them.
 * - minIndex 20: light (CONGESTION_BAND_EDGES[0]).
 * - clearMs 30 s: as ALERT_CLEAR_HOLD_MS.
 */
export const ONSET_DEFAULTS: OnsetOptions = { windowMs: 60_000, minSlopePerMin: 10, minShareRise: 0.1, minIndex: CONGESTION_BAND_EDGES[0]!, clearMs: 30_000 };

/** Heavy: the held alert's default level; a warning is only for a level below it, and ends ('reached') there. */
export const ONSET_HEAVY_INDEX = CONGESTION_BAND_EDGES[2]!;
/** Fewest samples in the window for a trend (besides spanning at least half the window). */
export const ONSET_MIN_SAMPLES = 6;
/**
 * The share of the window for which every condition must hold on consecutive samples before the warning goes out
 * (5 s of the default 60 s, on the 5 s median index): a spike of a few frames (a bus passing, a detection glitch) is no onset.
 */
export const ONSET_CONFIRM_SHARE = 1 / 12;
/**
 * The index the level conditions read is the median of the samples of the last ONSET_SMOOTH_MS (at 1 score/s, the
 * last 5): one frame that misses half the queue (31, 6, 25, 44 …) must not break the hold, nor one spike end it.
 */
export const ONSET_SMOOTH_MS = 5_000;

export interface OnsetSample {
  /** ms (the score's wall-clock time). */
  t: number;
  /** Congestion index 0–100. */
  index: number;
  /** Stationary share 0–1, null when unknown (still images, new tracks). */
  stationaryShare: number | null;
}

export type OnsetTransition =
  | { type: 'forming'; t: number; index: number; slopePerMin: number; stationaryShare: number | null }
  | { type: 'ended'; t: number; reason: 'reached' | 'eased' };

/** Trend of the window: least-squares slope of the index, and the robust rise of the stationary share. */
interface Trend {
  slopePerMin: number;
  /** Mean share of the last third minus that of the first third; null when either third has no share. */
  shareRise: number | null;
}

/**
 * Onset state of one ROI:
 *   idle --(rising: slope, share rise, light ≤ index < heavy, held ONSET_CONFIRM_SHARE of the window)--> forming
 * (index: the median of the last ONSET_SMOOTH_MS of samples)
 *   forming --(index ≥ heavy)--> cooldown ('ended', reached: the held alert takes over)
 *   forming --(slope ≤ 0 or index < minIndex, held clearMs)--> idle ('ended', eased)
 *   cooldown --(index < heavy and (slope ≤ 0 or index < minIndex), held clearMs)--> idle (silent re-arm)
 * The cooldown keeps a queue hovering around heavy from warning again and again while its alert is pending or raised.
 * Samples with a non-finite time or index, or not later than the previous one, are ignored.
 */
export class OnsetDetector {
  private readonly opts: OnsetOptions;
  private readonly confirmMs: number;
  private samples: OnsetSample[] = [];
  private phase: 'idle' | 'forming' | 'cooldown' = 'idle';
  /** Since when every forming condition has held (idle), or the easing condition (forming, cooldown). */
  private heldSince: number | null = null;

  constructor(opts: Partial<OnsetOptions> = {}) {
    const o = { ...ONSET_DEFAULTS, ...opts };
    for (const k of Object.keys(ONSET_DEFAULTS) as (keyof OnsetOptions)[]) {
      if (!Number.isFinite(o[k]) || o[k] < 0) throw new RangeError(`onset option ${k} must be a finite number ≥ 0, got ${o[k]}`);
    }
    if (o.windowMs <= 0) throw new RangeError(`onset option windowMs must be above 0, got ${o.windowMs}`);
    this.opts = o;
    this.confirmMs = o.windowMs * ONSET_CONFIRM_SHARE;
  }

  /** Whether a warning is out (between 'forming' and its 'ended'). */
  get forming(): boolean {
    return this.phase === 'forming';
  }

  /** Forgets everything (watch stopped, ROIs changed). No transition is reported. */
  reset(): void {
    this.samples = [];
    this.phase = 'idle';
    this.heldSince = null;
  }

  /** Feeds one sample; returns the transition it caused, if any. */
  update(s: OnsetSample): OnsetTransition | null {
    if (!Number.isFinite(s.t) || !Number.isFinite(s.index)) return null;
    const last = this.samples[this.samples.length - 1];
    if (last && s.t <= last.t) return null;
    const share = typeof s.stationaryShare === 'number' && s.stationaryShare >= 0 && s.stationaryShare <= 1 ? s.stationaryShare : null;
    this.samples.push({ t: s.t, index: s.index, stationaryShare: share });
    const from = s.t - this.opts.windowMs;
    let drop = 0;
    while (drop < this.samples.length && this.samples[drop]!.t < from) drop++;
    if (drop) this.samples.splice(0, drop);

    const trend = this.trend();
    const level = this.smoothedIndex(s.t);
    // Easing: not rising any more, or back below light. An unknown trend (too few samples: a gap) counts as not rising.
    const easing = !trend || trend.slopePerMin <= 0 || level < this.opts.minIndex;
    switch (this.phase) {
      case 'idle': {
        const rising =
          !!trend && trend.slopePerMin >= this.opts.minSlopePerMin && trend.shareRise !== null && trend.shareRise >= this.opts.minShareRise &&
          level >= this.opts.minIndex && level < ONSET_HEAVY_INDEX;
        if (!rising) {
          this.heldSince = null;
          return null;
        }
        this.heldSince ??= s.t;
        if (s.t - this.heldSince < this.confirmMs) return null;
        this.phase = 'forming';
        this.heldSince = null;
        return { type: 'forming', t: s.t, index: Math.round(level), slopePerMin: Math.round(trend!.slopePerMin * 10) / 10, stationaryShare: share };
      }
      case 'forming':
        if (level >= ONSET_HEAVY_INDEX) {
          this.phase = 'cooldown';
          this.heldSince = null;
          return { type: 'ended', t: s.t, reason: 'reached' };
        }
        if (this.easedFor(easing, s.t)) {
          this.phase = 'idle';
          return { type: 'ended', t: s.t, reason: 'eased' };
        }
        return null;
      case 'cooldown':
        if (this.easedFor(easing && level < ONSET_HEAVY_INDEX, s.t)) this.phase = 'idle';
        return null;
    }
  }

  /** Median index of the samples of the last ONSET_SMOOTH_MS up to `t` (the newest sample at least). */
  private smoothedIndex(t: number): number {
    const recent: number[] = [];
    for (let i = this.samples.length - 1; i >= 0; i--) {
      const p = this.samples[i]!;
      if (recent.length > 0 && t - p.t > ONSET_SMOOTH_MS) break;
      recent.push(p.index);
    }
    recent.sort((a, b) => a - b);
    const m = recent.length >> 1;
    return recent.length % 2 ? recent[m]! : (recent[m - 1]! + recent[m]!) / 2;
  }

  /** Tracks how long `easing` has held; true (and forgets it) once it held clearMs. */
  private easedFor(easing: boolean, t: number): boolean {
    if (!easing) {
      this.heldSince = null;
      return false;
    }
    this.heldSince ??= t;
    if (t - this.heldSince < this.opts.clearMs) return false;
    this.heldSince = null;
    return true;
  }

  /** The window's trend, or null with fewer than ONSET_MIN_SAMPLES samples or a span under half the window. */
  private trend(): Trend | null {
    const xs = this.samples;
    const n = xs.length;
    if (n < ONSET_MIN_SAMPLES) return null;
    const t0 = xs[0]!.t;
    const span = xs[n - 1]!.t - t0;
    if (span < this.opts.windowMs / 2) return null;
    // Least squares over (minutes since t0, index).
    let mx = 0;
    let my = 0;
    for (const p of xs) {
      mx += (p.t - t0) / 60_000;
      my += p.index;
    }
    mx /= n;
    my /= n;
    let sxy = 0;
    let sxx = 0;
    for (const p of xs) {
      const dx = (p.t - t0) / 60_000 - mx;
      sxy += dx * (p.index - my);
      sxx += dx * dx;
    }
    const slopePerMin = sxx > 0 ? sxy / sxx : 0;
    // Mean share of the first and the last third of the span (by time), unknown shares left out.
    const first = meanShare(xs, (t) => t <= t0 + span / 3);
    const lastThird = meanShare(xs, (t) => t >= t0 + (2 * span) / 3);
    return { slopePerMin, shareRise: first === null || lastThird === null ? null : lastThird - first };
  }
}

function meanShare(xs: readonly OnsetSample[], inPart: (t: number) => boolean): number | null {
  let sum = 0;
  let n = 0;
  for (const p of xs) {
    if (p.stationaryShare === null || !inPart(p.t)) continue;
    sum += p.stationaryShare;
    n++;
  }
  return n ? sum / n : null;
}
