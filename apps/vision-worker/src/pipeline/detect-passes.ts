import type { Roi } from '../contracts';
import type { RgbFrame } from '../frames/rgb-frame';
import { claheFrame } from '../model/contrast';
import type { Detection } from '../model/detection';
import { DEFAULT_NMS_IOU, nms } from '../model/nms';
import type { CropRect } from '../model/preprocess';
import type { FrameDetector } from './frame-pipeline';

/**
 * Detector passes over crops of a frame, each crop letterboxed on its own (so a small crop is a larger
 * input for what is in it), merged by one class-wise NMS. Works with any FrameDetector (one plain pass per
 * crop), so the strategy decides the crops, not the detector.
 */
export interface PassPlan {
  /** Crops run on the frame as it is (frame pixels). */
  plain: readonly CropRect[];
  /** Crops run on the frame after CLAHE on its luma. */
  enhanced: readonly CropRect[];
  /**
   * Crops run mirrored left to right (test-time flip augmentation: the model sees other pixels in its
   * receptive fields and scores distant vehicles differently; the boxes are mirrored back).
   */
  mirrored?: readonly CropRect[];
}

/** A box closer than this (px) to a crop edge that is not a frame edge is cut by the crop: the whole-frame pass has it. */
const CROP_EDGE_PX = 2;
/** Share of the frame's side added around the ROIs' bounding box, so a vehicle on the ROI's edge is whole in it. */
export const ROI_REGION_MARGIN = 0.03;

export function passCount(plan: PassPlan): number {
  return plan.plain.length + plan.enhanced.length + (plan.mirrored?.length ?? 0);
}

export function wholeFrame(frame: { width: number; height: number }): CropRect {
  return { x: 0, y: 0, width: frame.width, height: frame.height };
}

/**
 * The bounding box of the ROIs in frame pixels, widened by ROI_REGION_MARGIN and clipped to the frame;
 * the whole frame when there are no ROIs (or no finite point).
 */
export function roiRegion(rois: readonly Roi[], width: number, height: number): CropRect {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (const roi of rois) {
    for (const p of roi.polygon ?? []) {
      const [x, y] = p;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      x1 = Math.min(x1, x);
      y1 = Math.min(y1, y);
      x2 = Math.max(x2, x);
      y2 = Math.max(y2, y);
    }
  }
  if (!(x2 > x1 && y2 > y1)) return { x: 0, y: 0, width, height };
  const m = ROI_REGION_MARGIN;
  const ax = Math.max(0, Math.floor((Math.max(0, x1) - m) * width));
  const ay = Math.max(0, Math.floor((Math.max(0, y1) - m) * height));
  const bx = Math.min(width, Math.ceil((Math.min(1, x2) + m) * width));
  const by = Math.min(height, Math.ceil((Math.min(1, y2) + m) * height));
  if (bx - ax < 8 || by - ay < 8) return { x: 0, y: 0, width, height };
  return { x: ax, y: ay, width: bx - ax, height: by - ay };
}

/** True when `r` is (nearly) the whole frame: ≥ 90 % of its area. */
export function coversFrame(r: CropRect, width: number, height: number): boolean {
  return r.width * r.height >= 0.9 * width * height;
}

/** Copies a crop out of a frame (packed RGB rows). */
export function cropFrame(frame: RgbFrame, r: CropRect): RgbFrame {
  if (r.x === 0 && r.y === 0 && r.width === frame.width && r.height === frame.height) return frame;
  const data = Buffer.allocUnsafe(r.width * r.height * 3);
  const row = r.width * 3;
  for (let y = 0; y < r.height; y++) {
    const src = ((r.y + y) * frame.width + r.x) * 3;
    frame.data.copy(data, y * row, src, src + row);
  }
  return { width: r.width, height: r.height, data };
}

/** The frame mirrored left to right. */
export function mirrorFrame(frame: RgbFrame): RgbFrame {
  const { width, height } = frame;
  const data = Buffer.allocUnsafe(frame.data.length);
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    for (let x = 0; x < width; x++) {
      const a = row + x * 3;
      const b = row + (width - 1 - x) * 3;
      data[b] = frame.data[a];
      data[b + 1] = frame.data[a + 1];
      data[b + 2] = frame.data[a + 2];
    }
  }
  return { width, height, data };
}

/**
 * Runs every crop of the plan and merges the boxes (frame pixels, best first). A box of a smaller crop that
 * touches one of the crop's inner edges is left out (the car is cut; the whole-frame pass has it whole).
 */
export async function runPasses(detector: FrameDetector, frame: RgbFrame, plan: PassPlan, scoreThreshold: number): Promise<Detection[]> {
  const all: Detection[] = [];
  const run = async (src: RgbFrame, r: CropRect, mirror = false): Promise<void> => {
    const whole = r.x === 0 && r.y === 0 && r.width === src.width && r.height === src.height;
    const crop = cropFrame(src, r);
    const found = await detector.detect(mirror ? mirrorFrame(crop) : crop, { scoreThreshold, tiles: 1 });
    for (const f of found) {
      const d = mirror ? { ...f, x1: r.width - f.x2, x2: r.width - f.x1 } : f;
      const b = whole ? d : { ...d, x1: d.x1 + r.x, y1: d.y1 + r.y, x2: d.x2 + r.x, y2: d.y2 + r.y };
      if (!whole && cutByCrop(b, r, src)) continue;
      all.push(b);
    }
  };
  for (const r of plan.plain) await run(frame, r);
  if (plan.enhanced.length > 0) {
    const enhanced = claheFrame(frame);
    for (const r of plan.enhanced) await run(enhanced, r);
  }
  for (const r of plan.mirrored ?? []) await run(frame, r, true);
  const single = passCount(plan) <= 1;
  return single ? all : nms(all, DEFAULT_NMS_IOU);
}

function cutByCrop(d: Detection, r: CropRect, frame: { width: number; height: number }): boolean {
  return (
    (r.x > 0 && d.x1 - r.x < CROP_EDGE_PX) ||
    (r.y > 0 && d.y1 - r.y < CROP_EDGE_PX) ||
    (r.x + r.width < frame.width && r.x + r.width - d.x2 < CROP_EDGE_PX) ||
    (r.y + r.height < frame.height && r.y + r.height - d.y2 < CROP_EDGE_PX)
  );
}
