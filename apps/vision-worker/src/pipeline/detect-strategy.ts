import type { DetectorChoice, Roi } from '../contracts';
import type { RgbFrame } from '../frames/rgb-frame';
import type { Detection } from '../model/detection';
import type { FrameDetector } from './frame-pipeline';

/** What a strategy is told about the frame it detects on. */
export interface DetectContext {
  /** Lowest box score wanted. */
  scoreThreshold: number;
  /** The channel's ROIs (empty: the whole frame). */
  rois: readonly Roi[];
  /** A still image (no tracker behind it) rather than a video frame. */
  still: boolean;
  /** Seconds, increasing (video); 0 for a still. */
  t: number;
}

/**
 * How one channel runs the detector on a frame: passes, tiles, contrast normalisation. One instance per
 * channel (it may learn from the frames it sees); `choice()` says what it does now, for the API.
 */
export interface DetectStrategy {
  detect(detector: FrameDetector, frame: RgbFrame, ctx: DetectContext): Promise<Detection[]>;
  /** The choice in force after the last `detect` (before the first: the initial one). */
  choice(): DetectorChoice;
  /** Forget what was learned (new source, scene change). */
  reset(): void;
}

/** A fixed number of whole-frame tiles, no enhancement: the behaviour before per-channel choice (and `VISION_TILES`). */
export class FixedDetectStrategy implements DetectStrategy {
  constructor(private readonly tiles: 1 | 2 | 3 = 1) {}

  detect(detector: FrameDetector, frame: RgbFrame, ctx: DetectContext): Promise<Detection[]> {
    return detector.detect(frame, { scoreThreshold: ctx.scoreThreshold, tiles: this.tiles });
  }

  choice(): DetectorChoice {
    const passes = this.tiles === 1 ? 1 : 1 + this.tiles * this.tiles;
    return { tiles: this.tiles, region: 'frame', enhance: 'none', passes, reason: this.tiles === 1 ? 'fixed: one pass' : `fixed: ${this.tiles}×${this.tiles} tiles`, contrast: null, vehicleSize: null };
  }

  reset(): void {}
}
