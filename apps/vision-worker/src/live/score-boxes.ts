import { MAX_SCORE_BOXES, type SnapshotBox } from '../contracts';
import type { Detection } from '../model/detection';
import type { IgnoredDetection } from '../pipeline/frame-pipeline';

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;
const unit = (v: number) => round4(Math.min(1, Math.max(0, v)));

/**
 * A frame's detections as the boxes of its `score` message: normalised 0–1 by the frame size (4 decimals, clamped),
 * highest score first, at most MAX_SCORE_BOXES; a box left out of counting carries its reason (`ignored`).
 */
export function scoreBoxes(detections: readonly (Detection | IgnoredDetection)[], width: number, height: number): SnapshotBox[] {
  if (!(width > 0 && height > 0)) return [];
  return [...detections]
    .sort((a, b) => b.score - a.score)
    .slice(0, MAX_SCORE_BOXES)
    .map((d) => ({
      label: d.label, score: round4(d.score), x1: unit(d.x1 / width), y1: unit(d.y1 / height), x2: unit(d.x2 / width), y2: unit(d.y2 / height),
      ...('ignored' in d ? { ignored: d.ignored } : {}),
    }));
}
