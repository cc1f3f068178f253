import { isVehicle, type DetectionLabel } from '../model/classes';
import { iou, type Box, type Detection } from '../model/detection';

export interface TrackerOptions {
  /** Detections at or above this score start tracks and are matched first (ByteTrack's high pass). */
  highScore: number;
  /** Detections between this and `highScore` only extend existing tracks (ByteTrack's low pass). */
  lowScore: number;
  /** Minimum IoU to associate in the high pass. */
  matchIou: number;
  /** Minimum IoU to associate in the low pass (stricter: low-score boxes are noisier). */
  lowMatchIou: number;
  /** Seconds a track survives without a match before it is dropped. */
  maxLostSeconds: number;
  /** Weight of the newest speed sample in the exponential smoothing (0–1). */
  speedSmoothing: number;
  /** A track is stationary when its centre stays within this many box sizes (√area) of an anchor… */
  stationaryBoxFraction: number;
  /** …for at least this many seconds. */
  stationarySeconds: number;
}

export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = {
  highScore: 0.5,
  lowScore: 0.1,
  matchIou: 0.2,
  lowMatchIou: 0.4,
  maxLostSeconds: 1.0,
  speedSmoothing: 0.4,
  stationaryBoxFraction: 0.25,
  stationarySeconds: 2.0,
};

export interface Track extends Box {
  id: number;
  label: DetectionLabel;
  score: number;
  /** Time of the first and of the latest matched detection, seconds. */
  firstSeen: number;
  lastSeen: number;
  hits: number;
  /** Smoothed centre speed, px/s; null until the track has two observations. */
  speedPxPerS: number | null;
  /** True when the centre stayed near one point for `stationarySeconds`. */
  stationary: boolean;
  /** Where the stationary test measures from, and since when the centre has stayed near it. */
  anchorX: number;
  anchorY: number;
  anchorSince: number;
}

/** Seconds a track has existed: 0 for a new one. */
export function trackAge(t: Track): number {
  return t.lastSeen - t.firstSeen;
}

/**
 * ByteTrack-style multi-object tracker without a motion model: greedy IoU association of high-score
 * detections to all live tracks, then of low-score detections to the tracks left over; unmatched high
 * detections start tracks; tracks unmatched for `maxLostSeconds` are dropped.
 * (Zhang et al., "ByteTrack: Multi-Object Tracking by Associating Every Detection Box", ECCV 2022.)
 * Persons and vehicles never swap; car/truck/bus labels may (the detector flips between them).
 */
export class IouTracker {
  private readonly opts: TrackerOptions;
  private tracks: Track[] = [];
  private nextId = 1;

  constructor(opts: Partial<TrackerOptions> = {}) {
    this.opts = { ...DEFAULT_TRACKER_OPTIONS, ...opts };
  }

  /**
   * Feeds the detections of the frame at time `t` (seconds, increasing); returns the tracks matched in it.
   * `confirmed` detections count as high-score whatever their score (chained to strong boxes in space,
   * see pipeline/still-hysteresis.ts), so they may start tracks.
   */
  update(detections: readonly Detection[], t: number, confirmed?: ReadonlySet<Detection>): Track[] {
    const o = this.opts;
    const isHigh = (d: Detection): boolean => d.score >= o.highScore || (confirmed?.has(d) ?? false);
    const high = detections.filter(isHigh);
    const low = detections.filter((d) => !isHigh(d) && d.score >= o.lowScore);
    const matched: Track[] = [];

    const left = this.associate(this.tracks, high, o.matchIou, t, matched);
    const stillLeft = this.associate(left.tracks, low, o.lowMatchIou, t, matched);

    for (const d of left.dets) {
      const cx = (d.x1 + d.x2) / 2;
      const cy = (d.y1 + d.y2) / 2;
      const track: Track = {
        id: this.nextId++,
        x1: d.x1, y1: d.y1, x2: d.x2, y2: d.y2,
        label: d.label,
        score: d.score,
        firstSeen: t,
        lastSeen: t,
        hits: 1,
        speedPxPerS: null,
        stationary: false,
        anchorX: cx,
        anchorY: cy,
        anchorSince: t,
      };
      this.tracks.push(track);
      matched.push(track);
    }
    const lost = new Set(stillLeft.tracks);
    this.tracks = this.tracks.filter((tr) => !lost.has(tr) || t - tr.lastSeen <= o.maxLostSeconds);
    return matched;
  }

  get options(): Readonly<TrackerOptions> {
    return this.opts;
  }

  /** Every live track, including those unmatched in the last frame. */
  all(): readonly Track[] {
    return this.tracks;
  }

  reset(): void {
    this.tracks = [];
  }

  private associate(
    tracks: readonly Track[],
    dets: readonly Detection[],
    minIou: number,
    t: number,
    matched: Track[],
  ): { tracks: Track[]; dets: Detection[] } {
    const pairs: Array<{ ti: number; di: number; v: number }> = [];
    for (let ti = 0; ti < tracks.length; ti++) {
      for (let di = 0; di < dets.length; di++) {
        if (isVehicle(tracks[ti].label) !== isVehicle(dets[di].label)) continue;
        const v = iou(tracks[ti], dets[di]);
        if (v >= minIou) pairs.push({ ti, di, v });
      }
    }
    pairs.sort((a, b) => b.v - a.v);
    const usedT = new Set<number>();
    const usedD = new Set<number>();
    for (const p of pairs) {
      if (usedT.has(p.ti) || usedD.has(p.di)) continue;
      usedT.add(p.ti);
      usedD.add(p.di);
      this.extend(tracks[p.ti], dets[p.di], t);
      matched.push(tracks[p.ti]);
    }
    return {
      tracks: tracks.filter((_, i) => !usedT.has(i)),
      dets: dets.filter((_, i) => !usedD.has(i)),
    };
  }

  private extend(tr: Track, d: Detection, t: number): void {
    const o = this.opts;
    const dt = t - tr.lastSeen;
    const pcx = (tr.x1 + tr.x2) / 2;
    const pcy = (tr.y1 + tr.y2) / 2;
    const cx = (d.x1 + d.x2) / 2;
    const cy = (d.y1 + d.y2) / 2;
    if (dt > 0) {
      const inst = Math.hypot(cx - pcx, cy - pcy) / dt;
      tr.speedPxPerS = tr.speedPxPerS === null ? inst : o.speedSmoothing * inst + (1 - o.speedSmoothing) * tr.speedPxPerS;
    }
    tr.x1 = d.x1;
    tr.y1 = d.y1;
    tr.x2 = d.x2;
    tr.y2 = d.y2;
    if (d.score >= o.highScore || tr.label === d.label) tr.label = d.label;
    tr.score = d.score;
    tr.lastSeen = t;
    tr.hits++;
    const size = Math.sqrt(Math.max(1, (d.x2 - d.x1) * (d.y2 - d.y1)));
    if (Math.hypot(cx - tr.anchorX, cy - tr.anchorY) > o.stationaryBoxFraction * size) {
      tr.anchorX = cx;
      tr.anchorY = cy;
      tr.anchorSince = t;
    }
    tr.stationary = t - tr.anchorSince >= o.stationarySeconds;
  }
}
