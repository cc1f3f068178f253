/**
 * The video wall's layouts: a CSS grid of `cols` × `rows` cells; `spans[i]` makes tile i cover that many cells in
 * each direction (1+5: one 2×2 tile and five single ones on a 3×3 grid).
 */
export type WallLayoutId = '1' | '4' | '9' | '16' | '1+5';

export interface WallLayout {
  id: WallLayoutId;
  cols: number;
  rows: number;
  tiles: number;
  spans?: Record<number, number>;
}

export const WALL_LAYOUTS: readonly WallLayout[] = [
  { id: '1', cols: 1, rows: 1, tiles: 1 },
  { id: '4', cols: 2, rows: 2, tiles: 4 },
  { id: '9', cols: 3, rows: 3, tiles: 9 },
  { id: '16', cols: 4, rows: 4, tiles: 16 },
  { id: '1+5', cols: 3, rows: 3, tiles: 6, spans: { 0: 2 } },
];

/** The most tiles any layout shows: the length of the saved assignment. */
export const MAX_TILES = 16;

export function layoutOf(id: string | null | undefined): WallLayout {
  return WALL_LAYOUTS.find((l) => l.id === id) ?? WALL_LAYOUTS[1]!;
}
