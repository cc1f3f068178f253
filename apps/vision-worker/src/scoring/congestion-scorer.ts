import { congestionLevelOf, type CongestionBasis, type CongestionScore, type Roi } from '../contracts';
import { isVehicle, type DetectionLabel } from '../model/classes';
import type { Box } from '../model/detection';
import { crowdIndex, interpolate, speedRatioIndex } from './congestion-bands';
import { polygonArea, pointInPolygon, rasterisePolygon, WHOLE_FRAME } from './polygon';

/** Cells per side of the occupancy raster. */
export const OCCUPANCY_GRID = 64;
/** Speed limit assumed for a calibrated ROI that names none, km/h (urban arterial). */
export const DEFAULT_SPEED_LIMIT_KMH = 60;

/**
 * Density → index knots. Occupancy (share of the ROI under vehicle boxes) and spacing (median centre
 * distance to the nearest vehicle, in box sizes) each give a density 0–1; the larger one counts.
 * Figures chosen on the shared media (docs/congestion.md): free-flow clips stay under 0.2,
 * queued TRANCOS stills above 0.6.
 */
export const OCCUPANCY_KNOTS = { x: [0, 0.1, 0.25, 0.4, 0.55], y: [0, 0.1, 0.4, 0.7, 1] } as const;
/** Spacing knots on the negated spacing (ascending): ≥ 4 box sizes apart = 0, ≤ 1.2 (bumper to bumper) = 1. */
export const SPACING_KNOTS = { x: [-4, -2.5, -1.6, -1.2], y: [0, 0.3, 0.8, 1] } as const;
/** How far a packed spacing is believed, by the number of vehicles in the ROI (a queue needs many). */
export const COUNT_KNOTS = { x: [2, 10, 20], y: [0, 0.5, 1] } as const;
/** Share of the density that counts when every judged vehicle moves (dense but flowing traffic is not a jam). */
export const MOVING_WEIGHT = 0.2;

/** What the scorer needs to know about one detection or track. */
export interface ScoredObject extends Box {
  label: DetectionLabel;
  /** 'unknown' for a still image or a track too young to judge. */
  motion: 'moving' | 'stationary' | 'unknown';
  speedPxPerS: number | null;
}

export interface ScoreInput {
  t: number;
  width: number;
  height: number;
  objects: readonly ScoredObject[];
  /**
   * A video frame (motion can be known): until some vehicle's motion is judged nothing is known to be stopped, so
   * the index is the flowing share of the density (MOVING_WEIGHT), not the density of a still.
   */
  video?: boolean;
}

interface PreparedRoi {
  roi: Roi;
  mask: Uint8Array;
  cells: number;
  /** Pixels of the frame inside the ROI (for persons/m² via metresPerPixel). */
  areaPx: number;
}

/** Scores every ROI of one channel for one frame. Stateless apart from the prepared ROI masks. */
export class CongestionScorer {
  private readonly rois: PreparedRoi[];
  private readonly width: number;
  private readonly height: number;

  constructor(rois: readonly Roi[] | undefined, frame: { width: number; height: number }) {
    this.width = frame.width;
    this.height = frame.height;
    const list = rois && rois.length > 0 ? rois : [{ id: 'frame', polygon: WHOLE_FRAME }];
    this.rois = list.map((roi) => {
      const mask = rasterisePolygon(roi.polygon, OCCUPANCY_GRID);
      const cells = mask.reduce((n, v) => n + v, 0);
      return { roi, mask, cells, areaPx: polygonArea(roi.polygon) * frame.width * frame.height };
    });
  }

  score(input: ScoreInput): CongestionScore[] {
    return this.rois.map((r) => this.scoreRoi(r, input));
  }

  private scoreRoi(r: PreparedRoi, input: ScoreInput): CongestionScore {
    const { width, height } = this;
    const inRoi = input.objects.filter((o) => pointInPolygon((o.x1 + o.x2) / 2 / width, (o.y1 + o.y2) / 2 / height, r.roi.polygon));
    const vehicles = inRoi.filter((o) => isVehicle(o.label));
    const persons = inRoi.length - vehicles.length;

    const all = this.density(r, vehicles, input.objects.filter((o) => isVehicle(o.label)));
    const { occupancy, spacing } = all;

    const judged = vehicles.filter((v) => v.motion !== 'unknown');
    const stationaryShare = judged.length > 0 ? judged.filter((v) => v.motion === 'stationary').length / judged.length : null;
    const speeds = vehicles.map((v) => v.speedPxPerS).filter((s): s is number => s !== null);
    const meanPx = speeds.length > 0 ? speeds.reduce((a, b) => a + b, 0) / speeds.length : null;
    const mpp = metresPerPixel(r.roi, width, height);
    const meanSpeed = meanPx === null ? null : mpp === null ? meanPx : meanPx * mpp * 3.6;

    let basis: CongestionBasis = 'density';
    let index = 100 * all.density;
    if (stationaryShare !== null || input.video) {
      basis = 'motion';
      // The density of the stopped (or crawling) vehicles alone: a queue reads as dense as it is, flowing
      // traffic only up to MOVING_WEIGHT of its density, and a few static false boxes (an on-screen
      // caption read as a bus) make no queue (the count belief needs many).
      const stopped = input.objects.filter((o) => isVehicle(o.label) && o.motion === 'stationary');
      const stoppedInRoi = vehicles.filter((v) => v.motion === 'stationary');
      const stop = this.density(r, stoppedInRoi, stopped);
      index = 100 * Math.max(stop.density, MOVING_WEIGHT * all.density);
      if (mpp !== null && meanSpeed !== null) {
        basis = 'speed';
        const limit = r.roi.calibration?.speedLimitKmh ?? DEFAULT_SPEED_LIMIT_KMH;
        // Slow traffic only means congestion where there is traffic: weight by presence (full at density 0.25).
        index = Math.max(index, speedRatioIndex(meanSpeed / limit) * Math.min(1, all.density / 0.25));
      }
    }

    const area = r.roi.calibration?.areaSquareMetres ?? (mpp === null ? null : r.areaPx * mpp * mpp);
    const personsPerM2 = area ? persons / area : null;
    const crowd = personsPerM2 === null ? null : crowdIndex(personsPerM2);
    if (crowd !== null) index = Math.max(index, crowd);

    index = Math.round(Math.min(100, Math.max(0, index)));
    return {
      roi: r.roi.id,
      t: input.t,
      index,
      level: congestionLevelOf(index),
      vehicles: vehicles.length,
      persons,
      occupancy: round3(occupancy),
      spacing: spacing === null ? null : round3(spacing),
      stationaryShare: stationaryShare === null ? null : round3(stationaryShare),
      meanSpeed: meanSpeed === null ? null : round3(meanSpeed),
      speedUnit: meanSpeed === null ? null : mpp === null ? 'px/s' : 'km/h',
      personsPerM2: personsPerM2 === null ? null : round3(personsPerM2),
      crowdLevel: crowd === null ? null : congestionLevelOf(Math.round(crowd)),
      basis,
    };
  }

  /**
   * Density 0–1 of a set of vehicles: the larger of the occupancy term (share of the ROI under `boxes`,
   * which may reach in from outside it) and the spacing term of `inRoi` weighted by the count belief.
   */
  private density(r: PreparedRoi, inRoi: readonly ScoredObject[], boxes: readonly ScoredObject[]): { occupancy: number; spacing: number | null; density: number } {
    const occupancy = this.occupancy(r, boxes);
    const spacing = medianSpacing(inRoi);
    const occDensity = interpolate(occupancy, OCCUPANCY_KNOTS.x, OCCUPANCY_KNOTS.y);
    const spacingDensity =
      spacing === null ? 0 : interpolate(-spacing, SPACING_KNOTS.x, SPACING_KNOTS.y) * interpolate(inRoi.length, COUNT_KNOTS.x, COUNT_KNOTS.y);
    return { occupancy, spacing, density: Math.max(occDensity, spacingDensity) };
  }

  /** Share of ROI cells whose centre lies under at least one vehicle box (boxes clipped to the ROI by the mask). */
  private occupancy(r: PreparedRoi, vehicles: readonly ScoredObject[]): number {
    if (r.cells === 0 || vehicles.length === 0) return 0;
    const g = OCCUPANCY_GRID;
    const covered = new Uint8Array(g * g);
    let n = 0;
    for (const v of vehicles) {
      const gx1 = Math.max(0, Math.ceil((v.x1 / this.width) * g - 0.5));
      const gx2 = Math.min(g - 1, Math.floor((v.x2 / this.width) * g - 0.5));
      const gy1 = Math.max(0, Math.ceil((v.y1 / this.height) * g - 0.5));
      const gy2 = Math.min(g - 1, Math.floor((v.y2 / this.height) * g - 0.5));
      for (let gy = gy1; gy <= gy2; gy++) {
        for (let gx = gx1; gx <= gx2; gx++) {
          const i = gy * g + gx;
          if (r.mask[i] && !covered[i]) {
            covered[i] = 1;
            n++;
          }
        }
      }
    }
    return n / r.cells;
  }
}

/** Median over vehicles of the centre distance to the nearest other vehicle, in mean box sizes (√area). */
export function medianSpacing(vehicles: readonly Box[]): number | null {
  if (vehicles.length < 2) return null;
  const c = vehicles.map((v) => ({ x: (v.x1 + v.x2) / 2, y: (v.y1 + v.y2) / 2, s: Math.sqrt(Math.max(1, (v.x2 - v.x1) * (v.y2 - v.y1))) }));
  const nn = c.map((a, i) => {
    let best = Infinity;
    for (let j = 0; j < c.length; j++) {
      if (j === i) continue;
      const b = c[j];
      best = Math.min(best, Math.hypot(a.x - b.x, a.y - b.y) / ((a.s + b.s) / 2));
    }
    return best;
  });
  nn.sort((a, b) => a - b);
  const m = nn.length >> 1;
  return nn.length % 2 ? nn[m] : (nn[m - 1] + nn[m]) / 2;
}

function metresPerPixel(roi: Roi, width: number, height: number): number | null {
  const cal = roi.calibration;
  if (!cal) return null;
  if (cal.metresPerPixel && cal.metresPerPixel > 0) return cal.metresPerPixel;
  if (cal.roadLengthMetres && cal.roadLengthMetres > 0) {
    const xs = roi.polygon.map((p) => p[0] * width);
    const ys = roi.polygon.map((p) => p[1] * height);
    const along = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
    return along > 0 ? cal.roadLengthMetres / along : null;
  }
  return null;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
