/** Axis arithmetic for the SVG line chart (line-chart.ts). DOM-free. */

const MINUTE = 60_000;
const TIME_STEPS = [1 / 6, 1 / 4, 1 / 2, 1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440].map((m) => m * MINUTE);

/** Time ticks at a round step (10 s … 1 day) between from and to, at most `maxTicks`, aligned to the step in local time. */
export function timeTicks(from: number, to: number, maxTicks = 6, tzOffsetMin = 0): number[] {
  if (!(to > from) || maxTicks < 1) return [];
  const step = TIME_STEPS.find((s) => (to - from) / s <= maxTicks) ?? Math.ceil((to - from) / maxTicks / (1440 * MINUTE)) * 1440 * MINUTE;
  const offset = -tzOffsetMin * MINUTE;
  const first = Math.ceil((from + offset) / step) * step - offset;
  const ticks: number[] = [];
  for (let t = first; t <= to; t += step) ticks.push(t);
  return ticks;
}

export interface XY {
  x: number;
  y: number;
}

/**
 * An SVG path through the points (sorted by x); the line breaks where two neighbours are more than `maxGap`
 * apart on x (no data there), so a pause in scoring is not drawn as a slope.
 */
export function linePath(points: readonly XY[], maxGap = Infinity): string {
  let d = '';
  let prev: XY | null = null;
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) continue;
    d += `${prev && p.x - prev.x <= maxGap ? 'L' : 'M'}${round(p.x)},${round(p.y)}`;
    prev = p;
  }
  return d;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
