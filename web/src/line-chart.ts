import { svg } from './dom';
import { linePath, timeTicks } from './chart-scale';
import { formatTime, t } from './i18n';

export interface Series {
  name: string;
  color: string;
  points: { t: number; v: number }[];
}

export interface ChartOptions {
  from: number;
  to: number;
  /** y range; congestion index is 0–100. */
  yMax: number;
  /** Horizontal bands drawn behind the lines (level edges). */
  bands?: { from: number; to: number; color: string }[];
  /** Largest gap (ms) still drawn as a line. */
  maxGapMs?: number;
}

const W = 640;
const H = 200;
const PAD = { l: 34, r: 10, t: 8, b: 22 };

/**
 * A dependency-free SVG line chart (time on x): a few hundred points per series, redrawn whole on each update.
 * Hovering shows the nearest sample of each series.
 */
export class LineChart {
  readonly el: SVGSVGElement;
  private series: Series[] = [];
  private opts: ChartOptions;
  private readonly tip = svg('g', { class: 'tip', visibility: 'hidden' });

  constructor(opts: ChartOptions) {
    this.opts = opts;
    this.el = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img' });
    this.el.addEventListener('mousemove', (e) => this.hover(e));
    this.el.addEventListener('mouseleave', () => this.tip.setAttribute('visibility', 'hidden'));
    this.draw();
  }

  set(series: Series[], opts?: Partial<ChartOptions>): void {
    this.series = series;
    if (opts) this.opts = { ...this.opts, ...opts };
    this.draw();
  }

  private x(t: number): number {
    const { from, to } = this.opts;
    return PAD.l + ((t - from) / Math.max(1, to - from)) * (W - PAD.l - PAD.r);
  }

  private y(v: number): number {
    return H - PAD.b - (Math.min(Math.max(v, 0), this.opts.yMax) / this.opts.yMax) * (H - PAD.t - PAD.b);
  }

  private draw(): void {
    const { from, to, yMax, bands = [], maxGapMs = Infinity } = this.opts;
    const parts: SVGElement[] = [];
    for (const b of bands) {
      parts.push(svg('rect', { x: PAD.l, y: this.y(b.to), width: W - PAD.l - PAD.r, height: Math.max(0, this.y(b.from) - this.y(b.to)), fill: b.color, opacity: 0.12 }));
    }
    for (let v = 0; v <= yMax; v += yMax / 4) {
      parts.push(svg('line', { x1: PAD.l, x2: W - PAD.r, y1: this.y(v), y2: this.y(v), class: 'grid' }));
      parts.push(svg('text', { x: PAD.l - 4, y: this.y(v) + 4, 'text-anchor': 'end', class: 'axis' }, String(v)));
    }
    const withSeconds = to - from <= 5 * 60_000;
    for (const t of timeTicks(from, to, 6, new Date(from).getTimezoneOffset())) {
      const d = new Date(t);
      const p2 = (n: number) => String(n).padStart(2, '0');
      const label = `${p2(d.getHours())}:${p2(d.getMinutes())}${withSeconds ? `:${p2(d.getSeconds())}` : ''}`;
      parts.push(svg('line', { x1: this.x(t), x2: this.x(t), y1: PAD.t, y2: H - PAD.b, class: 'grid' }));
      parts.push(svg('text', { x: this.x(t), y: H - 6, 'text-anchor': 'middle', class: 'axis' }, label));
    }
    const pxGap = Number.isFinite(maxGapMs) ? (maxGapMs / Math.max(1, to - from)) * (W - PAD.l - PAD.r) : Infinity;
    for (const s of this.series) {
      const pts = s.points.filter((p) => p.t >= from && p.t <= to).map((p) => ({ x: this.x(p.t), y: this.y(p.v) }));
      parts.push(svg('path', { d: linePath(pts, pxGap), stroke: s.color, fill: 'none', 'stroke-width': 2, 'data-series': s.name }));
      if (pts.length === 1) parts.push(svg('circle', { cx: pts[0]!.x, cy: pts[0]!.y, r: 3, fill: s.color }));
    }
    if (!this.series.some((s) => s.points.length)) {
      parts.push(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, t('congestion.chartEmpty')));
    }
    this.el.replaceChildren(...parts, this.tip);
  }

  private hover(e: MouseEvent): void {
    const box = this.el.getBoundingClientRect();
    if (!box.width) return;
    const px = ((e.clientX - box.left) / box.width) * W;
    const { from, to } = this.opts;
    const t = from + ((px - PAD.l) / (W - PAD.l - PAD.r)) * (to - from);
    const lines: string[] = [];
    let at: number | null = null;
    for (const s of this.series) {
      let best: { t: number; v: number } | null = null;
      for (const p of s.points) if (!best || Math.abs(p.t - t) < Math.abs(best.t - t)) best = p;
      if (best) {
        at ??= best.t;
        lines.push(`${s.name}: ${Math.round(best.v)}`);
      }
    }
    if (at === null) return;
    const d = new Date(at);
    const head = formatTime(d);
    const x = this.x(at);
    const text = svg('text', { x: x + (x > W / 2 ? -6 : 6), y: PAD.t + 12, 'text-anchor': x > W / 2 ? 'end' : 'start', class: 'tiptext' });
    [head, ...lines].forEach((l, i) => text.append(svg('tspan', { x: x + (x > W / 2 ? -6 : 6), dy: i ? 14 : 0 }, l)));
    this.tip.replaceChildren(svg('line', { x1: x, x2: x, y1: PAD.t, y2: H - PAD.b, class: 'cursor' }), text);
    this.tip.setAttribute('visibility', 'visible');
  }
}
