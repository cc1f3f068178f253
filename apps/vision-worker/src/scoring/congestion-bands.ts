// Index (0–100) -> level is congestionLevelOf() in libs/contracts (one rule for worker, gateway and dashboard).

/**
 * Mean speed as a share of the speed limit at the band edges free|light|moderate|heavy|severe.
 * Derived from the absolute bands of GB/T 33171-2016 (expressway 65/50/35/20 km/h of 80; arterial
 * 40/30/20/15 of 60) and GA/T 115-2020's four-level road-segment speed grading; TO VERIFY against
 * the GA/T 115-2020 text (docs/congestion.md).
 */
export const SPEED_RATIO_EDGES = [0.7, 0.5, 0.35, 0.2] as const;

/** Fruin's walkway levels of service B..F lower edges, persons/m² (A below 0.31). */
export const FRUIN_EDGES_PER_M2 = [0.31, 0.43, 0.72, 1.08, 2.15] as const;

/** Piecewise-linear map of a value through ascending `xs` to `ys`, clamped at both ends. */
export function interpolate(x: number, xs: readonly number[], ys: readonly number[]): number {
  if (x <= xs[0]) return ys[0];
  for (let i = 1; i < xs.length; i++) {
    if (x <= xs[i]) return ys[i - 1] + ((x - xs[i - 1]) / (xs[i] - xs[i - 1])) * (ys[i] - ys[i - 1]);
  }
  return ys[ys.length - 1];
}

/** Speed ratio (mean / limit) -> index: ≥0.7 free … <0.2 severe, linear inside each band, 0 at ratio ≥1. */
export function speedRatioIndex(ratio: number): number {
  const [a, b, c, d] = SPEED_RATIO_EDGES;
  return interpolate(-ratio, [-1, -a, -b, -c, -d, 0], [0, 20, 40, 60, 80, 100]);
}

/** Persons/m² at which the crowd index reaches 100 (body contact everywhere; beyond Fruin's table). */
export const CROWD_FULL_PER_M2 = 4;

/**
 * Persons/m² -> index, Fruin's walkway levels of service on the band edges: A (< 0.31) free; B–C
 * (0.31–0.72) light, C starting at 0.43; D (0.72–1.08) moderate; E (1.08–2.15) heavy; F (≥ 2.15) severe.
 */
export function crowdIndex(perM2: number): number {
  const [a, b, c, d, e] = FRUIN_EDGES_PER_M2;
  return interpolate(perM2, [0, a, b, c, d, e, CROWD_FULL_PER_M2], [0, 20, 30, 40, 60, 80, 100]);
}
