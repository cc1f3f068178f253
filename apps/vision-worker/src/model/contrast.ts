import type { RgbFrame } from '../frames/rgb-frame';
import type { CropRect } from './preprocess';

/**
 * Contrast of a picture and contrast-limited adaptive histogram equalisation (CLAHE, Zuiderveld 1994,
 * "Graphics Gems IV" §VIII.5) on its luma, in plain TypeScript: sharp's `clahe()` (libvips hist_local, a
 * sliding window per pixel) took 570–1,200 ms on a 640×480 frame here, this takes a few milliseconds.
 */

/** Tiles per side of the CLAHE grid (OpenCV's default 8×8). */
export const CLAHE_GRID = 8;
/** Histogram clip limit as a multiple of the mean bin count (OpenCV's clipLimit; 2–4 is usual). */
export const CLAHE_CLIP_LIMIT = 3;
/** Luma samples taken per side at most when measuring contrast (a 640-wide frame is read every 4th pixel). */
const CONTRAST_SAMPLES_PER_SIDE = 160;

/** ITU-R BT.601 luma, 0–255. */
function luma(d: Buffer, i: number): number {
  return 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
}

/**
 * RMS contrast of the luma inside `rect` (default the whole frame): the standard deviation of luma over
 * 255, 0 (flat) to 0.5 (half black, half white). Sampled on a grid of at most 160×160 points.
 */
export function rmsContrast(frame: RgbFrame, rect?: CropRect): number {
  const x0 = Math.max(0, Math.floor(rect?.x ?? 0));
  const y0 = Math.max(0, Math.floor(rect?.y ?? 0));
  const x1 = Math.min(frame.width, Math.ceil((rect?.x ?? 0) + (rect?.width ?? frame.width)));
  const y1 = Math.min(frame.height, Math.ceil((rect?.y ?? 0) + (rect?.height ?? frame.height)));
  if (x1 <= x0 || y1 <= y0) return 0;
  const sx = Math.max(1, Math.floor((x1 - x0) / CONTRAST_SAMPLES_PER_SIDE));
  const sy = Math.max(1, Math.floor((y1 - y0) / CONTRAST_SAMPLES_PER_SIDE));
  let n = 0;
  let sum = 0;
  let sum2 = 0;
  for (let y = y0; y < y1; y += sy) {
    const row = y * frame.width;
    for (let x = x0; x < x1; x += sx) {
      const v = luma(frame.data, (row + x) * 3);
      sum += v;
      sum2 += v * v;
      n++;
    }
  }
  const mean = sum / n;
  return Math.sqrt(Math.max(0, sum2 / n - mean * mean)) / 255;
}

/**
 * A new frame whose luma went through CLAHE (grid `grid`×`grid`, clip limit `clipLimit` × mean bin count,
 * mappings interpolated bilinearly between tile centres); each pixel's R, G and B are shifted by its luma
 * change, so hue is kept. The input frame is not modified.
 */
export function claheFrame(frame: RgbFrame, opts: { grid?: number; clipLimit?: number } = {}): RgbFrame {
  const { width, height, data } = frame;
  const grid = Math.max(1, Math.min(opts.grid ?? CLAHE_GRID, width, height));
  const clip = opts.clipLimit ?? CLAHE_CLIP_LIMIT;
  const y = new Uint8Array(width * height);
  for (let i = 0, p = 0; i < y.length; i++, p += 3) y[i] = Math.round(luma(data, p));
  const tw = width / grid;
  const th = height / grid;
  // One 256-entry mapping per tile.
  const maps = new Uint8Array(grid * grid * 256);
  const hist = new Float64Array(256);
  for (let ty = 0; ty < grid; ty++) {
    for (let tx = 0; tx < grid; tx++) {
      hist.fill(0);
      const xa = Math.floor(tx * tw);
      const xb = Math.floor((tx + 1) * tw);
      const ya = Math.floor(ty * th);
      const yb = Math.floor((ty + 1) * th);
      const count = (xb - xa) * (yb - ya);
      for (let yy = ya; yy < yb; yy++) for (let xx = xa; xx < xb; xx++) hist[y[yy * width + xx]]++;
      const limit = Math.max(1, (clip * count) / 256);
      let excess = 0;
      for (let b = 0; b < 256; b++) {
        if (hist[b] > limit) {
          excess += hist[b] - limit;
          hist[b] = limit;
        }
      }
      const add = excess / 256;
      const base = (ty * grid + tx) * 256;
      let cdf = 0;
      for (let b = 0; b < 256; b++) {
        cdf += hist[b] + add;
        maps[base + b] = Math.min(255, Math.round((cdf * 255) / count));
      }
    }
  }
  const out = Buffer.allocUnsafe(data.length);
  for (let yy = 0; yy < height; yy++) {
    const gy = Math.min(grid - 1, Math.max(0, (yy + 0.5) / th - 0.5));
    const ty0 = Math.floor(gy);
    const ty1 = Math.min(grid - 1, ty0 + 1);
    const wy = gy - ty0;
    for (let xx = 0; xx < width; xx++) {
      const gx = Math.min(grid - 1, Math.max(0, (xx + 0.5) / tw - 0.5));
      const tx0 = Math.floor(gx);
      const tx1 = Math.min(grid - 1, tx0 + 1);
      const wx = gx - tx0;
      const i = yy * width + xx;
      const v = y[i];
      const m =
        (1 - wy) * ((1 - wx) * maps[(ty0 * grid + tx0) * 256 + v] + wx * maps[(ty0 * grid + tx1) * 256 + v]) +
        wy * ((1 - wx) * maps[(ty1 * grid + tx0) * 256 + v] + wx * maps[(ty1 * grid + tx1) * 256 + v]);
      const delta = m - v;
      const p = i * 3;
      out[p] = clampByte(data[p] + delta);
      out[p + 1] = clampByte(data[p + 1] + delta);
      out[p + 2] = clampByte(data[p + 2] + delta);
    }
  }
  return { width, height, data: out };
}

function clampByte(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}
