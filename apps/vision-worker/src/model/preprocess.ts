import type { RgbFrame } from '../frames/rgb-frame';
import type { FocusParts } from './focus-input';

/** Side of YOLOX-Nano's square input (models README: float32 [1,3,416,416]). */
export const MODEL_INPUT_SIZE = 416;
/** Letterbox fill used by YOLOX's `preproc` (grey 114 in every channel). */
export const LETTERBOX_PAD_VALUE = 114;

/** A region of a frame in pixels; the whole frame unless tiling. */
export interface CropRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LetterboxResult {
  /** Planar B, G, R float32 planes of size×size, raw 0–255 values (no mean/std: YOLOX ≥ 0.1.1rc0). */
  tensor: Float32Array;
  /** Model pixels per frame pixel. */
  scale: number;
  /** Frame coordinates of the crop's top-left corner. */
  offsetX: number;
  offsetY: number;
  /** Size of the resized picture inside the padded square (top-left aligned). */
  resizedWidth: number;
  resizedHeight: number;
}

/** Side multiple the YOLOX graph needs (its coarsest stride). */
export const MODEL_STRIDE = 32;

/**
 * Letterbox a frame (or a crop of it) into the model's square input the way YOLOX's `preproc` does:
 * scale r = min(size/h, size/w), bilinear resize to (floor(w·r), floor(h·r)) with half-pixel centres
 * (OpenCV INTER_LINEAR), picture at the top-left, the rest 114, channels reordered RGB -> BGR, CHW.
 */
export function letterbox(frame: RgbFrame, size = MODEL_INPUT_SIZE, crop?: CropRect, out?: Float32Array, focus?: FocusParts): LetterboxResult {
  const cw = crop?.width ?? frame.width;
  const ch = crop?.height ?? frame.height;
  return letterboxInto(frame, Math.min(size / ch, size / cw), size, size, crop, out, focus);
}

/**
 * The input canvas for a crop at `scale` when the model takes any multiple-of-32 size: the resized picture rounded up
 * to MODEL_STRIDE on each side (a 16:9 crop at 416 wide is 416×256 instead of 416×416: 62 % of the pixels to run).
 */
export function canvasFor(cropWidth: number, cropHeight: number, scale: number): { width: number; height: number } {
  const up = (v: number): number => Math.max(MODEL_STRIDE, Math.ceil(Math.max(1, Math.floor(v * scale)) / MODEL_STRIDE) * MODEL_STRIDE);
  return { width: up(cropWidth), height: up(cropHeight) };
}

/**
 * Resizes a crop by `scale` (bilinear, OpenCV half-pixel centres) into the top-left of a `width`×`height` BGR float
 * tensor, the rest LETTERBOX_PAD_VALUE. `out` is reused when it has the right length. The tensor is CHW, or with
 * `focus` the layout of YOLOX's Focus layer (focus-input.ts): the pixels of each row/column parity as their own
 * `width/2`×`height/2` B, G, R planes, blocks in `focus` order — the same values, each written once.
 */
export function letterboxInto(
  frame: RgbFrame,
  scale: number,
  width: number,
  height: number,
  crop?: CropRect,
  out?: Float32Array,
  focus?: FocusParts,
): LetterboxResult {
  const cx = crop?.x ?? 0;
  const cy = crop?.y ?? 0;
  const cw = crop?.width ?? frame.width;
  const ch = crop?.height ?? frame.height;
  const rw = Math.max(1, Math.min(width, Math.floor(cw * scale)));
  const rh = Math.max(1, Math.min(height, Math.floor(ch * scale)));
  const plane = width * height;
  const tensor = out && out.length === plane * 3 ? out : new Float32Array(plane * 3);
  if (focus && (width % 2 !== 0 || height % 2 !== 0 || focus.length !== 4)) throw new RangeError(`a Focus-layout canvas needs even sides, got ${width}×${height}`);

  // Per-column source indices and weights, computed once.
  const x0s = new Int32Array(rw);
  const dxs = new Int32Array(rw);
  const wxs = new Float32Array(rw);
  const invX = cw / rw;
  for (let x = 0; x < rw; x++) {
    let sx = (x + 0.5) * invX - 0.5;
    if (sx < 0) sx = 0;
    let x0 = Math.floor(sx);
    if (x0 > cw - 1) x0 = cw - 1;
    const x1 = Math.min(x0 + 1, cw - 1);
    x0s[x] = (cx + x0) * 3;
    dxs[x] = (x1 - x0) * 3;
    wxs[x] = sx - x0;
  }
  const src = frame.data;
  const stride = frame.width * 3;
  const invY = ch / rh;
  // Where a picture row goes: CHW rows of `width`, or (Focus) half rows in the block of the row's and column's parity.
  const half = width >> 1;
  const quarter = plane >> 2;
  const block = (dy: number, dx: number): number => focus!.findIndex(([py, px]) => py === dy && px === dx) * 3 * quarter;
  const blocks = focus ? [block(0, 0), block(0, 1), block(1, 0), block(1, 1)] : [];
  if (blocks.some((b) => b < 0)) throw new RangeError('Focus parts must name each row/column parity once');
  const planeStride = focus ? quarter : plane;
  for (let y = 0; y < rh; y++) {
    let sy = (y + 0.5) * invY - 0.5;
    if (sy < 0) sy = 0;
    let y0 = Math.floor(sy);
    if (y0 > ch - 1) y0 = ch - 1;
    const y1 = Math.min(y0 + 1, ch - 1);
    const wy = sy - y0;
    const row0 = (cy + y0) * stride;
    const dRow = (y1 - y0) * stride;
    if (!focus) {
      resizeRow(src, tensor, row0, dRow, wy, x0s, dxs, wxs, 0, 1, rw, y * width, plane);
    } else {
      const base = (y >> 1) * half;
      const odd = (y & 1) * 2;
      resizeRow(src, tensor, row0, dRow, wy, x0s, dxs, wxs, 0, 2, rw, blocks[odd] + base, planeStride);
      resizeRow(src, tensor, row0, dRow, wy, x0s, dxs, wxs, 1, 2, rw, blocks[odd + 1] + base, planeStride);
    }
  }
  // Only the padding is filled: every picture pixel is written above.
  if (!focus) {
    for (let c = 0; c < 3; c++) pad(tensor, c * plane, width, height, rw, rh);
  } else {
    for (let dy = 0; dy < 2; dy++) {
      for (let dx = 0; dx < 2; dx++) {
        const cols = (rw - dx + 1) >> 1;
        const rows = (rh - dy + 1) >> 1;
        for (let c = 0; c < 3; c++) pad(tensor, blocks[2 * dy + dx] + c * quarter, half, height >> 1, cols, rows);
      }
    }
  }
  return { tensor, scale, offsetX: cx, offsetY: cy, resizedWidth: rw, resizedHeight: rh };
}

/**
 * Picture columns x = first, first + step, … < rw of one output row: four-tap blend of source rows `row0` and
 * `row0 + dRow`, RGB in, B, G, R out at `dst`, `dst + planeStride`, `dst + 2·planeStride` (then dst + 1, …).
 */
function resizeRow(
  src: Uint8Array,
  tensor: Float32Array,
  row0: number,
  dRow: number,
  wy: number,
  x0s: Int32Array,
  dxs: Int32Array,
  wxs: Float32Array,
  first: number,
  step: number,
  rw: number,
  dst: number,
  planeStride: number,
): void {
  const g0 = planeStride;
  const r0 = 2 * planeStride;
  for (let x = first, i = dst; x < rw; x += step, i++) {
    const wx = wxs[x];
    const a = row0 + x0s[x];
    const b = a + dxs[x];
    const c = a + dRow;
    const d = b + dRow;
    const w00 = (1 - wx) * (1 - wy);
    const w01 = wx * (1 - wy);
    const w10 = (1 - wx) * wy;
    const w11 = wx * wy;
    // RGB in, BGR planes out.
    tensor[i] = src[a + 2] * w00 + src[b + 2] * w01 + src[c + 2] * w10 + src[d + 2] * w11;
    tensor[g0 + i] = src[a + 1] * w00 + src[b + 1] * w01 + src[c + 1] * w10 + src[d + 1] * w11;
    tensor[r0 + i] = src[a] * w00 + src[b] * w01 + src[c] * w10 + src[d] * w11;
  }
}

/** LETTERBOX_PAD_VALUE outside the top-left `cols`×`rows` of a `pw`×`ph` plane at `base`. */
function pad(tensor: Float32Array, base: number, pw: number, ph: number, cols: number, rows: number): void {
  if (cols < pw) for (let y = 0; y < rows; y++) tensor.fill(LETTERBOX_PAD_VALUE, base + y * pw + cols, base + (y + 1) * pw);
  if (rows < ph) tensor.fill(LETTERBOX_PAD_VALUE, base + rows * pw, base + ph * pw);
}

/** Maps a box from model-input pixels back to frame pixels, clipped to the crop. */
export function unletterboxBox<T extends { x1: number; y1: number; x2: number; y2: number }>(
  box: T,
  lb: Pick<LetterboxResult, 'scale' | 'offsetX' | 'offsetY'>,
  clip: { width: number; height: number },
): T {
  const maxX = lb.offsetX + clip.width;
  const maxY = lb.offsetY + clip.height;
  return {
    ...box,
    x1: clamp(box.x1 / lb.scale + lb.offsetX, lb.offsetX, maxX),
    y1: clamp(box.y1 / lb.scale + lb.offsetY, lb.offsetY, maxY),
    x2: clamp(box.x2 / lb.scale + lb.offsetX, lb.offsetX, maxX),
    y2: clamp(box.y2 / lb.scale + lb.offsetY, lb.offsetY, maxY),
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
