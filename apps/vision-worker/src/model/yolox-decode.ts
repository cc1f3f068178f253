import { COCO_KEPT, KEPT_CLASS_IDS } from './classes';
import type { Detection } from './detection';

/** YOLOX head strides; the grids are size/stride squared (52², 26², 13² at 416 = 3549 points). */
export const YOLOX_STRIDES = [8, 16, 32] as const;
/** Per point: cx, cy, w, h, objectness, then the 80 COCO class scores. */
export const YOLOX_ROW = 85;

export function yoloxPointCount(inputSize: number, inputHeight = inputSize): number {
  return YOLOX_STRIDES.reduce((n, s) => n + (inputSize / s) * (inputHeight / s), 0);
}

/**
 * Decodes YOLOX's raw head output (exported without `decode_in_inference`) into boxes in model-input
 * pixels: cx = (x + grid_x)·stride, w = exp(w)·stride, same for y/h; score = objectness × class score.
 * Only the kept COCO classes are considered; each point yields at most one box, of its best kept class.
 * `inputSize` is the input's width, `inputHeight` its height (square by default); grids are row-major per stride.
 */
export function decodeYolox(output: Float32Array, inputSize: number, scoreThreshold: number, inputHeight = inputSize): Detection[] {
  const found: Detection[] = [];
  let p = 0;
  for (const stride of YOLOX_STRIDES) {
    const gw = inputSize / stride;
    const gh = inputHeight / stride;
    for (let gy = 0; gy < gh; gy++) {
      for (let gx = 0; gx < gw; gx++, p++) {
        const o = p * YOLOX_ROW;
        const obj = output[o + 4];
        if (!(obj >= scoreThreshold)) continue; // score ≤ objectness, and NaN is rejected here
        let bestId = -1;
        let best = 0;
        for (const id of KEPT_CLASS_IDS) {
          const s = output[o + 5 + id];
          if (s > best) {
            best = s;
            bestId = id;
          }
        }
        const score = obj * best;
        if (bestId < 0 || score < scoreThreshold) continue;
        const cx = (output[o] + gx) * stride;
        const cy = (output[o + 1] + gy) * stride;
        const w = Math.exp(output[o + 2]) * stride;
        const h = Math.exp(output[o + 3]) * stride;
        if (!Number.isFinite(w) || !Number.isFinite(h)) continue;
        found.push({
          x1: cx - w / 2,
          y1: cy - h / 2,
          x2: cx + w / 2,
          y2: cy + h / 2,
          score,
          classId: bestId,
          label: COCO_KEPT.get(bestId)!,
        });
      }
    }
  }
  return found;
}
