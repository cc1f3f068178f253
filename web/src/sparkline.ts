import { svg } from './dom';

const W = 96;
const H = 24;

/**
 * A tiny line of the last points of one ROI (index 0–100, time on x from the first to the last point), for the
 * congestion board. `points` sorted by time; fewer than 2 draws an empty box.
 */
export function sparkline(points: readonly { t: number; v: number }[], color: string, roi: string): SVGSVGElement {
  const el = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'sparkline', 'data-sparkline': roi, 'aria-hidden': 'true' });
  if (points.length < 2) return el;
  const t0 = points[0]!.t;
  const span = Math.max(1, points[points.length - 1]!.t - t0);
  const d = points
    .map((p, i) => `${i ? 'L' : 'M'}${(((p.t - t0) / span) * (W - 2) + 1).toFixed(1)},${(H - 1 - (Math.min(100, Math.max(0, p.v)) / 100) * (H - 2)).toFixed(1)}`)
    .join('');
  el.append(svg('path', { d, stroke: color, fill: 'none', 'stroke-width': 1.5 }));
  return el;
}
