/**
 * The COCO classes the worker keeps (YOLOX is trained on COCO's 80 classes; ids are the
 * 0-based indices of the model's class scores). Everything else is dropped at decode time.
 */
export type DetectionLabel = 'person' | 'bicycle' | 'car' | 'motorcycle' | 'bus' | 'truck';

export const COCO_KEPT: ReadonlyMap<number, DetectionLabel> = new Map<number, DetectionLabel>([
  [0, 'person'],
  [1, 'bicycle'],
  [2, 'car'],
  [3, 'motorcycle'],
  [5, 'bus'],
  [7, 'truck'],
]);

export const KEPT_CLASS_IDS: readonly number[] = [...COCO_KEPT.keys()];

/** Road users that count as vehicles: every kept class except person. */
export const VEHICLE_LABELS: ReadonlySet<DetectionLabel> = new Set<DetectionLabel>(['bicycle', 'car', 'motorcycle', 'bus', 'truck']);

export function isVehicle(label: DetectionLabel): boolean {
  return VEHICLE_LABELS.has(label);
}
