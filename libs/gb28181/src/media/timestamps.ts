import { Gb28181Error } from '../errors';

/**
 * One media timeline out of the camera's MPEG-2 system timestamps (ISO/IEC 13818-1 §2.4.3.7: PTS and DTS are 33-bit
 * counts of a 90 kHz clock, so they wrap every 2^33 / 90 000 s ≈ 26.5 h). Pure: timestamps in, timestamps out.
 *
 *   raw 33-bit DTS (or PTS)  ──unwrap──▶  + the shortest modular distance to the previous raw value
 *                            ──rebase──▶  output: starts at `origin90k`, never goes back
 *
 *   ... 2^33-7200, 2^33-3600 | 0, 3600 ...            (raw, across the wrap)
 *   ... t,         t+3600    | t+7200, t+10800 ...    (output)
 *
 * A unit without a timestamp (several frames in one PES) is placed one observed frame interval after the previous one.
 * A jump back (an encoder restart, a device clock reset) or forward by more than `maxForwardJump90k` is a
 * discontinuity: the output continues one frame interval after the last one instead of following the camera.
 */

/** 2^33: PTS, DTS, SCR and PCR bases wrap here (§2.4.3.7). */
export const TIMESTAMP_WRAP_90K = 2 ** 33;
const HALF_WRAP = 2 ** 32;

/** A forward step larger than this (10 s) between two timestamped units is a discontinuity, not elapsed time. */
export const TIMELINE_MAX_FORWARD_JUMP_90K = 10 * 90_000;
/**
 * How far a PTS-only unit may go back without being a discontinuity: B-frames of a camera that writes no DTS come out
 * of presentation order by a few frames (0.5 s). With an explicit DTS any step back is a discontinuity.
 */
export const TIMELINE_MAX_REORDER_90K = 45_000;
/** Largest interval taken as the frame interval (1 fps); a bigger gap is loss, not a frame rate. */
export const TIMELINE_MAX_FRAME_STEP_90K = 90_000;
/** Frame interval assumed until two timestamps were seen (25 fps, the GB/T 28181 default). */
export const TIMELINE_DEFAULT_FRAME_STEP_90K = 3600;

/** The signed shortest distance from `from` to `to` on the 33-bit circle: in [-2^32, 2^32). */
export function timestampDelta90k(to: number, from: number): number {
  let d = (to - from) % TIMESTAMP_WRAP_90K;
  if (d < 0) d += TIMESTAMP_WRAP_90K;
  return d >= HALF_WRAP ? d - TIMESTAMP_WRAP_90K : d;
}

export interface MediaTimelineOptions {
  /** The first output timestamp (90 kHz). FLV wants 0; an MPEG-TS leaves room for the PCR below it. Default 0. */
  origin90k?: number;
  /** Default TIMELINE_MAX_FORWARD_JUMP_90K. */
  maxForwardJump90k?: number;
}

export interface TimelineStamp {
  /** Presentation time on the output timeline (90 kHz, not wrapped). */
  pts: number;
  /** Decode time on the output timeline: never less than the previous one, never more than `pts`. */
  dts: number;
  /** The camera's timeline broke here (a jump back or too far ahead); the output continued one frame on. */
  discontinuity: boolean;
  /** The unit carried no timestamp; it was placed one frame interval after the previous one. */
  interpolated: boolean;
}

export class MediaTimeline {
  private readonly origin: number;
  private readonly maxForward: number;
  /** The last unit that carried a timestamp: its raw 33-bit decode time and where it landed on the output. */
  private anchor: { raw: number; out: number } | null = null;
  /** Units without a timestamp since the anchor (the next timestamp measures the frame interval over all of them). */
  private sinceAnchor = 0;
  private lastDts: number | null = null;
  private step = TIMELINE_DEFAULT_FRAME_STEP_90K;
  private breaks = 0;

  constructor(opts: MediaTimelineOptions = {}) {
    this.origin = opts.origin90k ?? 0;
    this.maxForward = opts.maxForwardJump90k ?? TIMELINE_MAX_FORWARD_JUMP_90K;
    if (!Number.isFinite(this.origin) || this.origin < 0) throw new Gb28181Error('TIMELINE_BAD_OPTIONS', `origin ${this.origin} must be a non-negative number`);
  }

  /** The frame interval observed last (90 kHz). */
  get frameStep90k(): number {
    return this.step;
  }

  /** How many discontinuities were bridged so far. */
  get discontinuities(): number {
    return this.breaks;
  }

  /** Places one unit (in decode order) given its raw PTS and DTS (either may be absent). */
  stamp(pts?: number, dts?: number): TimelineStamp {
    checkRaw(pts, 'PTS');
    checkRaw(dts, 'DTS');
    const raw = dts ?? pts;
    if (raw === undefined) {
      const out = this.lastDts === null ? this.origin : this.lastDts + this.step;
      this.lastDts = out;
      if (this.anchor) this.sinceAnchor++;
      return { pts: out, dts: out, discontinuity: false, interpolated: true };
    }
    const r = wrap(raw);
    let decode: number;
    let discontinuity = false;
    if (this.anchor === null) {
      decode = this.lastDts === null ? this.origin : this.lastDts + this.step;
    } else {
      const d = timestampDelta90k(r, this.anchor.raw);
      const backLimit = dts !== undefined ? 0 : -TIMELINE_MAX_REORDER_90K;
      if (d < backLimit || d > this.maxForward) {
        discontinuity = true;
        this.breaks++;
        decode = (this.lastDts ?? this.origin) + this.step;
      } else {
        decode = this.anchor.out + d;
        const perFrame = d / (this.sinceAnchor + 1);
        if (perFrame > 0 && perFrame <= TIMELINE_MAX_FRAME_STEP_90K) this.step = Math.round(perFrame);
      }
    }
    this.anchor = { raw: r, out: decode };
    this.sinceAnchor = 0;
    const outDts = this.lastDts === null ? decode : Math.max(decode, this.lastDts);
    // With both timestamps, PTS keeps its distance to DTS (the composition offset of a B-frame stream).
    const cts = pts !== undefined && dts !== undefined ? Math.max(0, timestampDelta90k(wrap(pts), r)) : 0;
    this.lastDts = outDts;
    return { pts: Math.max(decode + cts, outDts), dts: outDts, discontinuity, interpolated: false };
  }

  /**
   * Where a raw timestamp of another elementary stream on the same clock (audio next to this video) lands on the
   * output, without moving the timeline; null before the first timestamped unit or when it is too far from it.
   */
  place(raw: number): number | null {
    checkRaw(raw, 'PTS');
    if (this.anchor === null) return null;
    const d = timestampDelta90k(wrap(raw), this.anchor.raw);
    if (d < -this.maxForward || d > this.maxForward) return null;
    return this.anchor.out + d;
  }
}

function wrap(t: number): number {
  const r = Math.round(t) % TIMESTAMP_WRAP_90K;
  return r < 0 ? r + TIMESTAMP_WRAP_90K : r;
}

function checkRaw(t: number | undefined, what: string): void {
  if (t !== undefined && !Number.isFinite(t)) throw new Gb28181Error('TIMELINE_BAD_TIMESTAMP', `${what} ${t} is not a finite number`);
}
