import { isVehicle } from '../model/classes';
import { boxArea, intersectionArea as intersection, type Detection } from '../model/detection';

/**
 * Hysteresis on detection scores for still images, the spatial counterpart of ByteTrack's two-pass
 * association (there the second pass is in time; a still has only space). A still has no tracker to
 * rescue weak boxes, and a distant, hazy queue is exactly where a small model scores real vehicles at
 * 0.05–0.25 (TRANCOS cam1 000013: 4 boxes ≥ 0.25 out of ~80 queued cars). A weak vehicle box is kept
 * only when it is chained, box to box, to a strong one of similar size, so a weak box alone in an empty
 * scene never counts; strong boxes always count. See docs/congestion.md ("Stills").
 */
export interface StillHysteresisOptions {
  /** Score at which a box counts on its own (the still threshold before hysteresis). */
  seedScore: number;
  /** Lowest score a box may have to be grown into a chain (the detector is asked for this). */
  lowScore: number;
  /** Largest centre distance to a kept box, in mean box sizes (√area), for a weak box to join. */
  maxGap: number;
  /** Largest ratio between the sizes (√area) of a weak box and the kept box it joins. */
  maxSizeRatio: number;
  /** A vehicle box whose intersection with a better vehicle box covers this share of the smaller is a duplicate… */
  containment: number;
  /** …when their sizes (√area) are within this ratio: a box much larger than the one inside it may be several cars merged. */
  containedMaxRatio: number;
  /**
   * A weak box joins only when less than this share of its own area lies on vehicle boxes already kept of a similar size
   * (within maxSizeRatio): it must bring a vehicle of its own, not box a kept one again at an offset (the doubles that
   * over-counted queues). A much larger kept box is left out of the sum: it may be several cars merged.
   */
  weakOverlap: number;
}

export const STILL_HYSTERESIS: Readonly<StillHysteresisOptions> = {
  seedScore: 0.25,
  lowScore: 0.05,
  maxGap: 1.5,
  maxSizeRatio: 2,
  containment: 0.8,
  containedMaxRatio: 2.5,
  weakOverlap: 0.6,
};

/** Largest number of weak boxes considered (a hostile or noisy frame cannot make growth quadratic without bound). */
export const MAX_WEAK_BOXES = 1000;

function sizeRatio(a: Detection, b: Detection): number {
  const sa = Math.sqrt(boxArea(a));
  const sb = Math.sqrt(boxArea(b));
  return Math.max(sa, sb) / Math.max(1e-9, Math.min(sa, sb));
}


/**
 * Drops a vehicle box mostly inside a better-scored vehicle box (or containing one mostly): at low
 * thresholds YOLOX reports the same car at two scales, which IoU-NMS keeps because their IoU is small.
 * Persons are untouched. Returns best score first.
 */
export function suppressContained(dets: readonly Detection[], share: number, maxRatio = Infinity): Detection[] {
  const order = [...dets].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const d of order) {
    if (isVehicle(d.label)) {
      const a = boxArea(d);
      const dup = kept.some((k) => isVehicle(k.label) && intersection(d, k) >= share * Math.min(a, boxArea(k)) && sizeRatio(d, k) <= maxRatio);
      if (dup) continue;
    }
    kept.push(d);
  }
  return kept;
}

/**
 * Keeps every box scoring ≥ seedScore, then grows the set with weaker vehicle boxes (≥ lowScore) that
 * lie within `maxGap` box sizes of an already kept vehicle box of similar size and do not lie mostly on kept vehicle
 * boxes (`weakOverlap`), until nothing joins.
 * Weak persons are dropped (a crowd is not inferred from chains). Output keeps input order.
 */
export function growFromSeeds(dets: readonly Detection[], opts: StillHysteresisOptions = STILL_HYSTERESIS): Detection[] {
  const keep = new Set<Detection>();
  const frontier: Detection[] = [];
  let weak: Detection[] = [];
  for (const d of dets) {
    if (d.score >= opts.seedScore) {
      keep.add(d);
      if (isVehicle(d.label)) frontier.push(d);
    } else if (d.score >= opts.lowScore && isVehicle(d.label) && weak.length < MAX_WEAK_BOXES) {
      weak.push(d);
    }
  }
  const size = (b: Detection): number => Math.sqrt(boxArea(b));
  const keptVehicles = [...frontier];
  const onKept = (c: Detection): boolean => {
    const limit = opts.weakOverlap * boxArea(c);
    const cs = size(c);
    let covered = 0;
    for (const k of keptVehicles) {
      const ks = size(k);
      if (Math.max(cs, ks) / Math.max(1e-9, Math.min(cs, ks)) > opts.maxSizeRatio) continue; // a merged box of several cars
      if ((covered += intersection(c, k)) >= limit) return true;
    }
    return false;
  };
  while (frontier.length > 0 && weak.length > 0) {
    const k = frontier.pop()!;
    const ks = size(k);
    const kx = (k.x1 + k.x2) / 2;
    const ky = (k.y1 + k.y2) / 2;
    const rest: Detection[] = [];
    for (const c of weak) {
      const cs = size(c);
      const ratio = cs > ks ? cs / Math.max(ks, 1e-9) : ks / Math.max(cs, 1e-9);
      const near = Math.hypot((c.x1 + c.x2) / 2 - kx, (c.y1 + c.y2) / 2 - ky) <= (opts.maxGap * (cs + ks)) / 2;
      if (ratio <= opts.maxSizeRatio && near) {
        if (onKept(c)) continue; // a double of a kept vehicle: dropped for good
        keep.add(c);
        frontier.push(c);
        keptVehicles.push(c);
      } else {
        rest.push(c);
      }
    }
    weak = rest;
  }
  return dets.filter((d) => keep.has(d));
}

/** The still-image detection filter: duplicate suppression, then hysteresis growth. */
export function stillDetections(dets: readonly Detection[], opts: StillHysteresisOptions = STILL_HYSTERESIS): Detection[] {
  const strong = dets.filter((d) => d.score >= opts.seedScore);
  const weak = dets.filter((d) => d.score >= opts.lowScore && d.score < opts.seedScore).sort((a, b) => b.score - a.score);
  return growFromSeeds(suppressContained([...strong, ...weak.slice(0, MAX_WEAK_BOXES)], opts.containment, opts.containedMaxRatio), opts);
}
