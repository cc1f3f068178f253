import { Gb28181Error } from '../errors';
import { TIMESTAMP_WRAP_90K, timestampDelta90k } from './timestamps';

/**
 * The clock of an audio stream fed to an encoder as one continuous run of samples: which camera timestamp (90 kHz,
 * 33 bits, wrapping) sample n of the run had. An encoder's output carries no timestamps (ADTS has none), so its
 * frames are timed by counting samples back to this. Pure: timestamps and sample counts in, timestamps out.
 *
 *   units in:   [pts p0, n0 samples] [p1, n1] ...           the run:  0 ......... n0 ..... n0+n1 ...
 *   a gap ≤ maxGapFill90k before a unit:  that many silent samples go in first (the run stays continuous in time)
 *   a gap back, or one too large:         a new anchor (sample index -> pts) instead (the run jumps in time there)
 *   within `tolerance90k` of on time:     taken as on time (camera timestamps jitter by a sample or two)
 */
export interface SampleClockOptions {
  sampleRate: number;
  /** Largest gap filled with silence (90 kHz); a larger one (or one going back) re-anchors. Default SAMPLE_CLOCK_MAX_GAP_FILL_90K. */
  maxGapFill90k?: number;
  /** Deviation from the expected timestamp ignored (90 kHz). Default SAMPLE_CLOCK_TOLERANCE_90K. */
  tolerance90k?: number;
}

/** A missing stretch of camera audio up to 1 s is filled with silence; beyond it the clock re-anchors. */
export const SAMPLE_CLOCK_MAX_GAP_FILL_90K = 90_000;
/** 10 ms: a unit this close to where the last one ended is on time. */
export const SAMPLE_CLOCK_TOLERANCE_90K = 900;
/** Anchors kept (oldest dropped first); with prune() called as output is timed, a handful are ever alive. */
export const SAMPLE_CLOCK_MAX_ANCHORS = 64;

interface Anchor {
  index: number;
  pts: number;
}

export class SampleClock {
  private readonly rate: number;
  private readonly maxGap: number;
  private readonly tolerance: number;
  private anchors: Anchor[] = [];
  private total = 0;
  /** Silent samples inserted for gaps so far, and re-anchors. */
  filledSamples = 0;
  reanchors = 0;

  constructor(opts: SampleClockOptions) {
    if (!(opts.sampleRate > 0) || !Number.isFinite(opts.sampleRate)) throw new Gb28181Error('SAMPLE_CLOCK_BAD_OPTIONS', `sample rate ${opts.sampleRate} must be a positive number`);
    this.rate = opts.sampleRate;
    this.maxGap = opts.maxGapFill90k ?? SAMPLE_CLOCK_MAX_GAP_FILL_90K;
    this.tolerance = opts.tolerance90k ?? SAMPLE_CLOCK_TOLERANCE_90K;
  }

  /** Samples in the run so far (fills included). */
  get samples(): number {
    return this.total;
  }

  /**
   * One unit of `samples` samples stamped `pts` (absent: it follows the previous one). Returns how many silent samples
   * to put into the run before it, or null when it cannot be timed (no timestamp yet): leave it out of the run.
   */
  push(pts: number | undefined, samples: number): { fill: number } | null {
    if (!Number.isInteger(samples) || samples < 0) throw new Gb28181Error('SAMPLE_CLOCK_BAD_INPUT', `sample count ${samples} must be a non-negative integer`);
    if (pts !== undefined && !Number.isFinite(pts)) throw new Gb28181Error('SAMPLE_CLOCK_BAD_INPUT', `timestamp ${pts} is not a finite number`);
    let fill = 0;
    if (this.anchors.length === 0) {
      if (pts === undefined) return null;
      this.addAnchor(this.total, pts);
    } else if (pts !== undefined) {
      const gap = timestampDelta90k(pts, this.ptsAt(this.total)!);
      if (Math.abs(gap) > this.tolerance) {
        if (gap > 0 && gap <= this.maxGap) {
          fill = Math.round((gap * this.rate) / 90_000);
          this.filledSamples += fill;
        } else {
          this.reanchors++;
          this.addAnchor(this.total, pts);
        }
      }
    }
    this.total += fill + samples;
    return { fill };
  }

  /** The camera timestamp (33-bit, wrapped) of sample `index` of the run; null before the first anchor or for a negative index. */
  ptsAt(index: number): number | null {
    if (index < 0 || this.anchors.length === 0) return null;
    let a = this.anchors[0]!;
    for (let i = this.anchors.length - 1; i >= 0; i--) {
      if (this.anchors[i]!.index <= index) {
        a = this.anchors[i]!;
        break;
      }
    }
    if (a.index > index) return null; // pruned away
    const t = Math.round(a.pts + ((index - a.index) * 90_000) / this.rate) % TIMESTAMP_WRAP_90K;
    return t < 0 ? t + TIMESTAMP_WRAP_90K : t;
  }

  /** Forgets anchors no longer needed to time samples at or after `index`. */
  prune(index: number): void {
    while (this.anchors.length > 1 && this.anchors[1]!.index <= index) this.anchors.shift();
  }

  private addAnchor(index: number, pts: number): void {
    const last = this.anchors.at(-1);
    if (last && last.index === index) last.pts = pts;
    else this.anchors.push({ index, pts });
    if (this.anchors.length > SAMPLE_CLOCK_MAX_ANCHORS) this.anchors.shift();
  }
}
