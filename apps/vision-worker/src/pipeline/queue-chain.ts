import type { Box } from '../model/detection';

/** Stopped vehicles chained box to box (QUEUE_LINK_SIZES apart, sizes within QUEUE_SIZE_RATIO) this many or more make a queue. */
export const QUEUE_MIN_STOPPED = 3;
/** Largest centre distance between two queued vehicles, in mean box sizes (√area). */
export const QUEUE_LINK_SIZES = 2;
/** Largest ratio between the sizes (√area) of two linked queued vehicles. */
export const QUEUE_SIZE_RATIO = 2;

/** For each box, whether it lies in a chain of QUEUE_MIN_STOPPED or more boxes linked as a queue. */
export function queueMembers(boxes: readonly Box[]): boolean[] {
  const n = boxes.length;
  const parent = Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const size = boxes.map((b) => Math.sqrt(Math.max(1, (b.x2 - b.x1) * (b.y2 - b.y1))));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = boxes[i]!;
      const b = boxes[j]!;
      if (Math.max(size[i]!, size[j]!) / Math.min(size[i]!, size[j]!) > QUEUE_SIZE_RATIO) continue;
      const d = Math.hypot((a.x1 + a.x2 - b.x1 - b.x2) / 2, (a.y1 + a.y2 - b.y1 - b.y2) / 2);
      if (d <= (QUEUE_LINK_SIZES * (size[i]! + size[j]!)) / 2) parent[find(i)] = find(j);
    }
  }
  const count = new Map<number, number>();
  for (let i = 0; i < n; i++) count.set(find(i), (count.get(find(i)) ?? 0) + 1);
  return boxes.map((_, i) => (count.get(find(i)) ?? 0) >= QUEUE_MIN_STOPPED);
}
