import type { CongestionScore, Roi } from '../contracts';
import type { RgbFrame } from '../frames/rgb-frame';
import { isVehicle } from '../model/classes';
import type { Detection } from '../model/detection';
import { mergeVehicleDuplicates } from '../model/nms';
import { CongestionScorer, type ScoredObject } from '../scoring/congestion-scorer';
import { STILL_HYSTERESIS, stillDetections, type StillHysteresisOptions } from './still-hysteresis';
import { IouTracker, trackAge, type Track, type TrackerOptions } from '../tracking/iou-tracker';

/** What the pipeline needs from a detector (OnnxDetector, or a stub in tests). */
export interface FrameDetector {
  detect(frame: RgbFrame, opts?: { scoreThreshold?: number; nmsIou?: number; tiles?: 1 | 2 | 3 }): Promise<Detection[]>;
}

export interface FramePipelineOptions {
  rois?: readonly Roi[];
  /** Still images: box scores kept on their own and grown by hysteresis (no tracker to rescue weak boxes). */
  still?: Partial<StillHysteresisOptions>;
  /** Tiles for still images and for video (distant cameras). */
  stillTiles?: 1 | 2 | 3;
  videoTiles?: 1 | 2 | 3;
  tracker?: Partial<TrackerOptions>;
}

/** Tracker thresholds tuned for YOLOX-Nano, whose true vehicles often score 0.3–0.5. */
export const NANO_TRACKER_OPTIONS: Partial<TrackerOptions> = { highScore: 0.35, lowScore: 0.15 };

export interface FrameResult {
  t: number;
  detections: Detection[];
  /** Tracks matched in this frame (video only). */
  tracks: Track[];
  scores: CongestionScore[];
}

/**
 * detect -> track -> score for one channel. Holds the channel's tracker and scorer; the scorer is
 * rebuilt when the frame size changes. Used by the eval CLI and the live worker.
 */
export class FramePipeline {
  private readonly tracker: IouTracker;
  private readonly trackerOpts: Readonly<TrackerOptions>;
  private scorer: CongestionScorer | null = null;
  private size = '';

  constructor(
    private readonly detector: FrameDetector,
    private readonly opts: FramePipelineOptions = {},
  ) {
    this.tracker = new IouTracker({ ...NANO_TRACKER_OPTIONS, ...opts.tracker });
    this.trackerOpts = this.tracker.options;
  }

  /** One frame of a video at time `t` seconds (increasing). */
  async processVideoFrame(frame: RgbFrame, t: number): Promise<FrameResult> {
    const raw = await this.detector.detect(frame, { scoreThreshold: this.trackerOpts.lowScore, tiles: this.opts.videoTiles ?? 1 });
    const detections = mergeVehicleDuplicates(raw, (d) => isVehicle(d.label));
    const tracks = this.tracker.update(detections, t);
    const objects: ScoredObject[] = tracks.map((tr) => ({
      x1: tr.x1, y1: tr.y1, x2: tr.x2, y2: tr.y2,
      label: tr.label,
      motion: tr.stationary ? 'stationary' : tr.anchorSince > tr.firstSeen || trackAge(tr) >= this.trackerOpts.stationarySeconds ? 'moving' : 'unknown',
      speedPxPerS: tr.speedPxPerS,
    }));
    return { t, detections, tracks, scores: this.scorerFor(frame).score({ t, width: frame.width, height: frame.height, objects }) };
  }

  /**
   * A still image: no motion, density only. Does not touch the tracker. Weak vehicle boxes count only
   * when chained to strong ones (still-hysteresis.ts).
   */
  async processStill(frame: RgbFrame, t = 0): Promise<FrameResult> {
    const still = { ...STILL_HYSTERESIS, ...this.opts.still };
    const raw = await this.detector.detect(frame, { scoreThreshold: still.lowScore, tiles: this.opts.stillTiles ?? 2 });
    const detections = stillDetections(mergeVehicleDuplicates(raw, (d) => isVehicle(d.label)), still);
    const objects: ScoredObject[] = detections.map((d) => ({ ...d, motion: 'unknown', speedPxPerS: null }));
    return { t, detections, tracks: [], scores: this.scorerFor(frame).score({ t, width: frame.width, height: frame.height, objects }) };
  }

  /** Forget tracks (new source, or a gap in the stream). */
  reset(): void {
    this.tracker.reset();
  }

  private scorerFor(frame: RgbFrame): CongestionScorer {
    const key = `${frame.width}x${frame.height}`;
    if (!this.scorer || key !== this.size) {
      this.scorer = new CongestionScorer(this.opts.rois, frame);
      this.size = key;
    }
    return this.scorer;
  }
}
