import type { RgbFrame } from '../frames/rgb-frame';

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

/**
 * Letterbox a frame (or a crop of it) into the model's square input the way YOLOX's `preproc` does:
 * scale r = min(size/h, size/w), bilinear resize to (floor(w·r), floor(h·r)) with half-pixel centres
 * (OpenCV INTER_LINEAR), picture at the top-left, the rest 114, channels reordered RGB -> BGR, CHW.
 */
export function letterbox(frame: RgbFrame, size = MODEL_INPUT_SIZE, crop?: CropRect, out?: Float32Array): LetterboxResult {
  const cx = crop?.x ?? 0;
  const cy = crop?.y ?? 0;
  const cw = crop?.width ?? frame.width;
  const ch = crop?.height ?? frame.height;
  const scale = Math.min(size / ch, size / cw);
  const rw = Math.max(1, Math.min(size, Math.floor(cw * scale)));
  const rh = Math.max(1, Math.min(size, Math.floor(ch * scale)));
  const plane = size * size;
  const tensor = out && out.length === plane * 3 ? out : new Float32Array(plane * 3);
  tensor.fill(LETTERBOX_PAD_VALUE);

  // Per-column source indices and weights, computed once.
  const x0s = new Int32Array(rw);
  const x1s = new Int32Array(rw);
  const wxs = new Float32Array(rw);
  const invX = cw / rw;
  for (let x = 0; x < rw; x++) {
    let sx = (x + 0.5) * invX - 0.5;
    if (sx < 0) sx = 0;
    let x0 = Math.floor(sx);
    if (x0 > cw - 1) x0 = cw - 1;
    const x1 = Math.min(x0 + 1, cw - 1);
    x0s[x] = (cx + x0) * 3;
    x1s[x] = (cx + x1) * 3;
    wxs[x] = sx - x0;
  }
  const src = frame.data;
  const stride = frame.width * 3;
  const invY = ch / rh;
  for (let y = 0; y < rh; y++) {
    let sy = (y + 0.5) * invY - 0.5;
    if (sy < 0) sy = 0;
    let y0 = Math.floor(sy);
    if (y0 > ch - 1) y0 = ch - 1;
    const y1 = Math.min(y0 + 1, ch - 1);
    const wy = sy - y0;
    const row0 = (cy + y0) * stride;
    const row1 = (cy + y1) * stride;
    const dstRow = y * size;
    for (let x = 0; x < rw; x++) {
      const wx = wxs[x];
      const a = row0 + x0s[x];
      const b = row0 + x1s[x];
      const c = row1 + x0s[x];
      const d = row1 + x1s[x];
      const w00 = (1 - wx) * (1 - wy);
      const w01 = wx * (1 - wy);
      const w10 = (1 - wx) * wy;
      const w11 = wx * wy;
      const i = dstRow + x;
      // RGB in, BGR planes out.
      tensor[i] = src[a + 2] * w00 + src[b + 2] * w01 + src[c + 2] * w10 + src[d + 2] * w11;
      tensor[plane + i] = src[a + 1] * w00 + src[b + 1] * w01 + src[c + 1] * w10 + src[d + 1] * w11;
      tensor[2 * plane + i] = src[a] * w00 + src[b] * w01 + src[c] * w10 + src[d] * w11;
    }
  }
  return { tensor, scale, offsetX: cx, offsetY: cy, resizedWidth: rw, resizedHeight: rh };
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
