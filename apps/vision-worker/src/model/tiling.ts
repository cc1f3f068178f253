import type { CropRect } from './preprocess';

/** Share of a tile's side that overlaps its neighbour, so a car cut by one tile edge is whole in the next. */
export const TILE_OVERLAP = 0.2;

/**
 * The crops to run for `tiles` = 1, 2 or 3: the whole frame, plus an n×n grid of overlapping tiles
 * (for distant cameras, where vehicles are a few pixels tall after letterboxing the whole frame).
 * Detections of all crops are merged by a global class-wise NMS.
 */
export function tileRects(width: number, height: number, tiles: 1 | 2 | 3): CropRect[] {
  const whole: CropRect = { x: 0, y: 0, width, height };
  return tiles === 1 ? [whole] : [whole, ...gridRects(whole, tiles)];
}

/**
 * An n×n grid of tiles over `region` (frame pixels), neighbours overlapping by TILE_OVERLAP of a tile's side;
 * n = 1 is the region itself. Used for tiles inside a channel's ROIs (their bounding box), where a distant
 * ROI letterboxed on its own is also a larger input for the vehicles in it.
 */
export function gridRects(region: CropRect, tiles: 1 | 2 | 3): CropRect[] {
  if (tiles === 1) return [{ ...region }];
  const { width, height } = region;
  const tw = Math.min(width, Math.ceil(width / (tiles - (tiles - 1) * TILE_OVERLAP)));
  const th = Math.min(height, Math.ceil(height / (tiles - (tiles - 1) * TILE_OVERLAP)));
  const rects: CropRect[] = [];
  for (let r = 0; r < tiles; r++) {
    for (let c = 0; c < tiles; c++) {
      const x = region.x + Math.round(((width - tw) * c) / (tiles - 1));
      const y = region.y + Math.round(((height - th) * r) / (tiles - 1));
      rects.push({ x, y, width: tw, height: th });
    }
  }
  return rects;
}
