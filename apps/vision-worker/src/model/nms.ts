import type { Detection } from './detection';
import { iou } from './detection';

/** IoU above which a lower-scored box of the same class is suppressed (models README, YOLOX demo). */
export const DEFAULT_NMS_IOU = 0.45;

/**
 * Greedy class-wise non-maximum suppression: boxes are visited best score first, and a box is dropped
 * when it overlaps an already kept box of the same class by more than `iouThreshold`.
 * Returns the kept boxes, best score first. Stable for equal scores (input order).
 */
export function nms(dets: readonly Detection[], iouThreshold = DEFAULT_NMS_IOU): Detection[] {
  const order = dets.map((d, i) => i).sort((a, b) => dets[b].score - dets[a].score || a - b);
  const kept: Detection[] = [];
  for (const i of order) {
    const d = dets[i];
    let drop = false;
    for (const k of kept) {
      if (k.classId === d.classId && iou(k, d) > iouThreshold) {
        drop = true;
        break;
      }
    }
    if (!drop) kept.push(d);
  }
  return kept;
}

/** IoU above which two vehicle boxes of different classes are taken as one vehicle (car/truck flips). */
export const VEHICLE_MERGE_IOU = 0.7;

/**
 * Drops a vehicle box that overlaps a better-scored vehicle box of another class by more than
 * `iouThreshold`: the detector often reports one van as both car and truck. Persons are untouched.
 */
export function mergeVehicleDuplicates(dets: readonly Detection[], isVehicleBox: (d: Detection) => boolean, iouThreshold = VEHICLE_MERGE_IOU): Detection[] {
  const order = [...dets].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const d of order) {
    if (isVehicleBox(d) && kept.some((k) => isVehicleBox(k) && iou(k, d) > iouThreshold)) continue;
    kept.push(d);
  }
  return kept;
}
