import type { CongestionScore, ExclusionZone, IgnoredReason, NormalisedRect, Roi, SceneState } from '../contracts';
import type { RgbFrame } from '../frames/rgb-frame';
import { isVehicle } from '../model/classes';
import type { Box, Detection } from '../model/detection';
import { DEFAULT_NMS_IOU, mergeVehicleDuplicates, nms } from '../model/nms';
import { CongestionScorer, type ScoredObject } from '../scoring/congestion-scorer';
import { pointInPolygon } from '../scoring/polygon';
import { FixedDetectStrategy, type DetectStrategy } from './detect-strategy';
import { NoOsdMask, OSD_COVER_SHARE, type OsdMask } from './osd-mask';
import { PixelMotion } from './pixel-motion';
import { queueMembers } from './queue-chain';
import { SceneFixtures, type SceneFixtureOptions } from './scene-fixtures';
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
  /**
   * How video frames are run through the detector (passes, tiles, contrast), per channel; default a fixed
   * `videoTiles` (the per-channel automatic choice is AutoDetectStrategy).
   */
  detectStrategy?: DetectStrategy;
  /** Finds the camera's on-screen text and logos in video frames; detections inside are left out. Default none. */
  osd?: OsdMask;
  /** Hand-drawn areas whose detections never count (box centre inside). */
  exclusions?: readonly ExclusionZone[];
  /** Scene-fixture learning on video (scene-fixtures.ts); false turns it off. */
  fixtures?: Partial<SceneFixtureOptions> | false;
}

/** A detection left out of counting, and why. */
export type IgnoredDetection = Detection & { ignored: IgnoredReason };

/** Tracker thresholds tuned for YOLOX-Nano, whose true vehicles often score 0.3–0.5. */
export const NANO_TRACKER_OPTIONS: Partial<TrackerOptions> = { highScore: 0.35, lowScore: 0.15 };

/** A track slower than this many box sizes (√area) per second… */
export const CRAWL_BOX_SIZES_PER_S = 0.3;
/** …followed for at least this long counts as crawling (stationary for scoring). */
export const CRAWL_MIN_SECONDS = 1;
/**
 * Mean absolute grey difference (0–255) inside a track's box against the reference frame at or above which it is
 * moving, overriding the tracker's stationary flag and the crawl rule (2.5 × PIXEL_MOTION.staticMad).
 */
export const MOVING_MAD = 25;


export interface FrameResult {
  t: number;
  /** Detections that count (after masks and fixtures). */
  detections: Detection[];
  /** Detections left out: scene fixtures, on-screen text, exclusion zones. */
  ignored: IgnoredDetection[];
  /** Fixtures, OSD areas and the detector choice after this frame. */
  scene: SceneState;
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
  private readonly pixels = new PixelMotion();
  private readonly trackerOpts: Readonly<TrackerOptions>;
  private readonly still: StillHysteresisOptions;
  private scorer: CongestionScorer | null = null;
  private size = '';
  private readonly strategy: DetectStrategy;
  private readonly osd: OsdMask;
  private readonly fixtures: SceneFixtures | null;
  /** Live tracks seen moving at least once (a stopped one of these arrived: it counts as stopped alone). */
  private readonly moved = new Set<number>();

  constructor(
    private readonly detector: FrameDetector,
    private readonly opts: FramePipelineOptions = {},
  ) {
    this.tracker = new IouTracker({ ...NANO_TRACKER_OPTIONS, ...opts.tracker });
    this.trackerOpts = this.tracker.options;
    this.still = { ...STILL_HYSTERESIS, ...opts.still };
    this.strategy = opts.detectStrategy ?? new FixedDetectStrategy(opts.videoTiles ?? 1);
    this.osd = opts.osd ?? new NoOsdMask();
    this.fixtures = opts.fixtures === false ? null : new SceneFixtures(opts.fixtures);
  }

  /** One frame of a video at time `t` seconds (increasing). */
  async processVideoFrame(frame: RgbFrame, t: number): Promise<FrameResult> {
    const still = this.still;
    const scoreThreshold = Math.min(still.lowScore, this.trackerOpts.lowScore);
    const raw = await this.strategy.detect(this.detector, frame, { scoreThreshold, rois: this.opts.rois ?? [], still: false, t });
    this.osd.push(frame, t);
    const ignored: IgnoredDetection[] = [];
    const kept = this.unmasked(raw, frame, ignored);
    const merged = mergeVehicleDuplicates(kept, (d) => isVehicle(d.label));
    // Weak boxes chained in space to strong ones are confirmed (may start tracks); other weak boxes
    // below the tracker's low score are dropped, as before.
    const chained = new Set(stillDetections(merged, still));
    const confirmed = merged.filter((d) => chained.has(d) || d.score >= this.trackerOpts.lowScore);
    this.pixels.push(frame, t);
    const thumb = this.pixels.currentThumb();
    if (thumb && this.fixtures) this.fixtures.update(thumb, t, confirmed.filter((d) => isVehicle(d.label)));
    const detections: Detection[] = [];
    for (const d of confirmed) {
      if (this.fixtures && isVehicle(d.label) && this.fixtures.isFixture(d)) ignored.push({ ...d, ignored: 'fixture' });
      else detections.push(d);
    }
    const tracks = this.tracker.update(detections, t, chained);
    const motions = this.judge(tracks);
    const objects: ScoredObject[] = tracks.map((tr, i) => ({
      x1: tr.x1, y1: tr.y1, x2: tr.x2, y2: tr.y2,
      label: tr.label,
      motion: motions[i]!,
      speedPxPerS: tr.speedPxPerS,
    }));
    return { t, detections, ignored, tracks, scene: this.scene(frame), scores: this.scorerFor(frame).score({ t, width: frame.width, height: frame.height, objects, video: true }) };
  }

  /**
   * The motion of each track for scoring. A stopped vehicle is evidence of a jam when it is part of a queue
   * (QUEUE_MIN_STOPPED or more stopped vehicles chained box to box) or was seen moving before it stopped (it
   * arrived); a lone box that has never moved since it was first seen is unexplained — a sign, a logo, a
   * parked car — and reads 'unknown' (counted as a vehicle, not as stopped) until the fixture learner decides.
   */
  private judge(tracks: readonly Track[]): ScoredObject['motion'][] {
    const motions = tracks.map((tr) => this.motionOf(tr));
    const live = new Set<number>();
    tracks.forEach((tr, i) => {
      live.add(tr.id);
      if (motions[i] === 'moving') this.moved.add(tr.id);
    });
    for (const id of this.moved) if (!live.has(id)) this.moved.delete(id);
    const stopped = tracks.map((tr, i) => (motions[i] === 'stationary' && isVehicle(tr.label) ? i : -1)).filter((i) => i >= 0);
    const queued = queueMembers(stopped.map((i) => tracks[i]!));
    stopped.forEach((i, k) => {
      if (!queued[k] && !this.moved.has(tracks[i]!.id)) motions[i] = 'unknown';
    });
    return motions;
  }

  /**
   * A still image: no motion, density only. Does not touch the tracker. Weak vehicle boxes count only
   * when chained to strong ones (still-hysteresis.ts).
   */
  async processStill(frame: RgbFrame, t = 0): Promise<FrameResult> {
    const still = this.still;
    // Whole frame + stillTiles (default 2×2); with a strategy (the automatic choice) and no tiles asked for, what its
    // extra passes find is added where it chose more than one pass (a distant or hazy still).
    let raw = await this.detector.detect(frame, { scoreThreshold: still.lowScore, tiles: this.opts.stillTiles ?? 2 });
    if (this.opts.stillTiles === undefined && this.opts.detectStrategy) {
      const extra = await this.strategy.detect(this.detector, frame, { scoreThreshold: still.lowScore, rois: this.opts.rois ?? [], still: true, t });
      if (this.strategy.choice().passes > 1) raw = nms([...raw, ...extra], DEFAULT_NMS_IOU);
    }
    this.osd.push(frame, t);
    const ignored: IgnoredDetection[] = [];
    const detections = stillDetections(mergeVehicleDuplicates(this.unmasked(raw, frame, ignored), (d) => isVehicle(d.label)), still);
    const objects: ScoredObject[] = detections.map((d) => ({ ...d, motion: 'unknown', speedPxPerS: null }));
    return { t, detections, ignored, tracks: [], scene: this.scene(frame), scores: this.scorerFor(frame).score({ t, width: frame.width, height: frame.height, objects }) };
  }

  /** Forget tracks and what was learned of the scene (new source, or a gap in the stream). */
  reset(): void {
    this.tracker.reset();
    this.pixels.reset();
    this.moved.clear();
    this.resetScene();
  }

  /** Forget what was learned of the scene: fixtures, OSD, the detector choice (the camera moved or went to a preset). */
  resetScene(): void {
    this.fixtures?.reset();
    this.osd.reset();
    this.strategy.reset();
  }

  /** Drops detections inside an exclusion zone (box centre) or mostly inside the OSD areas into `ignored`. */
  private unmasked(raw: readonly Detection[], frame: RgbFrame, ignored: IgnoredDetection[]): Detection[] {
    const zones = this.opts.exclusions ?? [];
    const kept: Detection[] = [];
    for (const d of raw) {
      const cx = (d.x1 + d.x2) / 2 / frame.width;
      const cy = (d.y1 + d.y2) / 2 / frame.height;
      if (zones.some((z) => pointInPolygon(cx, cy, z.polygon))) ignored.push({ ...d, ignored: 'exclusion' });
      else if (this.osd.covers(d, frame.width, frame.height) >= OSD_COVER_SHARE) ignored.push({ ...d, ignored: 'osd' });
      else kept.push(d);
    }
    return kept;
  }

  private scene(frame: RgbFrame): SceneState {
    const q = (v: number, size: number): number => Math.round(Math.min(1, Math.max(0, v / size)) * 1e4) / 1e4;
    const fixtures: NormalisedRect[] = (this.fixtures?.fixtures() ?? []).map((b) => ({ x1: q(b.x1, frame.width), y1: q(b.y1, frame.height), x2: q(b.x2, frame.width), y2: q(b.y2, frame.height) }));
    return { fixtures, osd: this.osd.zones(), detector: this.strategy.choice() };
  }

  /**
   * Stopped or crawling counts as 'stationary' (a creeping queue is a jam): the tracker's stationary
   * flag, or a track followed for CRAWL_MIN_SECONDS slower than CRAWL_BOX_SIZES_PER_S; otherwise the
   * picture inside the box decides (unchanged for ~1 s: stationary; changed: moving), which works at
   * 1 frame/s where fast vehicles cannot be tracked; otherwise the tracker's own judgement.
   */
  private motionOf(tr: Track): ScoredObject['motion'] {
    // The picture inside the box changed a lot: a different vehicle, or this one moving, whatever the tracker
    // thinks. At 1 frame/s a stream of far cars passing one spot keeps a "track" there that looks stopped or
    // crawling; their boxes' insides differ by 28–67 grey levels, a stopped car's by < 10, a creeping one's by less
    // than MOVING_MAD (docs/congestion.md, "Motion").
    const mad = this.pixels.difference(tr);
    if (mad !== null && mad >= MOVING_MAD) return 'moving';
    if (tr.stationary) return 'stationary';
    const size = Math.sqrt(Math.max(1, (tr.x2 - tr.x1) * (tr.y2 - tr.y1)));
    if (tr.speedPxPerS !== null && trackAge(tr) >= CRAWL_MIN_SECONDS && tr.speedPxPerS / size < CRAWL_BOX_SIZES_PER_S) return 'stationary';
    const still = this.pixels.isStatic(tr);
    if (still !== null) return still ? 'stationary' : 'moving';
    return tr.anchorSince > tr.firstSeen || trackAge(tr) >= this.trackerOpts.stationarySeconds ? 'moving' : 'unknown';
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
