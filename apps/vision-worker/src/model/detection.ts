import type { DetectionLabel } from './classes';

/** An axis-aligned box in pixel coordinates of the frame it was found in (x2/y2 exclusive edges). */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface Detection extends Box {
  /** objectness × class score, 0–1. */
  score: number;
  classId: number;
  label: DetectionLabel;
}

export function boxArea(b: Box): number {
  return Math.max(0, b.x2 - b.x1) * Math.max(0, b.y2 - b.y1);
}

/** Area of the overlap of two boxes, 0 when they do not overlap. */
export function intersectionArea(a: Box, b: Box): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  return iw > 0 && ih > 0 ? iw * ih : 0;
}

export function iou(a: Box, b: Box): number {
  const inter = intersectionArea(a, b);
  if (inter === 0) return 0;
  return inter / (boxArea(a) + boxArea(b) - inter);
}
