import type { NormalisedPoint } from '../contracts';

/** The whole frame as a ROI polygon. */
export const WHOLE_FRAME: NormalisedPoint[] = [
  [0, 0],
  [1, 0],
  [1, 1],
  [0, 1],
];

/** Even–odd rule point-in-polygon test (ray casting to +x). */
export function pointInPolygon(x: number, y: number, poly: readonly NormalisedPoint[]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * The ROI rasterised on a coarse grid (cell centres tested against the polygon): 1 = inside.
 * A 64×64 grid keeps occupancy within ~1.5 % of the exact area at a few µs per frame.
 */
export function rasterisePolygon(poly: readonly NormalisedPoint[], grid: number): Uint8Array {
  const mask = new Uint8Array(grid * grid);
  for (let gy = 0; gy < grid; gy++) {
    for (let gx = 0; gx < grid; gx++) {
      if (pointInPolygon((gx + 0.5) / grid, (gy + 0.5) / grid, poly)) mask[gy * grid + gx] = 1;
    }
  }
  return mask;
}

/** Shoelace area of a polygon in its own units. */
export function polygonArea(poly: readonly NormalisedPoint[]): number {
  let a = 0;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) a += (poly[j][0] + poly[i][0]) * (poly[j][1] - poly[i][1]);
  return Math.abs(a) / 2;
}
