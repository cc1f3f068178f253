import { svg } from '../dom';
import { getLocale } from '../i18n';
import { TimelineScale, ZOOM_STEP, type TimeWindow } from './timeline-scale';

/** A recording on the bar (unix seconds), from the RecordInfo list. */
export interface TimelineSegment {
  start: number;
  end: number;
}

export interface TimelineHandlers {
  /** A click (no drag) on the bar: play from this time (whole seconds). */
  pick(time: number): void;
  /** The playhead was dragged and let go here: seek. */
  scrub(time: number): void;
  /** A shift-drag chose this range (whole seconds), or null when cleared. */
  select(range: TimeWindow | null): void;
}

/** Pixels a press may move and still count as a click. */
const CLICK_SLOP_PX = 4;
/** How close to the playhead a press grabs it. */
const HEAD_GRAB_PX = 8;
const HEIGHT = 64;
const AXIS_Y = 14;
const BAR_Y = 22;
const BAR_H = 30;

type Drag =
  | { kind: 'press'; x0: number; lastX: number; moved: boolean }
  | { kind: 'scrub'; time: number }
  | { kind: 'select'; anchor: number; time: number };

/**
 * The 24 h bar of one channel's recordings, drawn as SVG: hour ticks, one rect per recording (data-start/data-end),
 * the selection and the playhead. Wheel zooms around the pointer (down to minutes), drag pans, click picks a time,
 * dragging the playhead scrubs, shift-drag selects a range. The window shown is `data-from`/`data-to` on the <svg>.
 */
export class TimelineBar {
  readonly el: SVGSVGElement;
  readonly scale: TimelineScale;
  private segments: TimelineSegment[] = [];
  private playhead: number | null = null;
  private selection: TimeWindow | null = null;
  private drag: Drag | null = null;
  private readonly resize: ResizeObserver;

  constructor(
    day: TimeWindow,
    private readonly on: TimelineHandlers,
  ) {
    this.scale = new TimelineScale(day.from, day.to);
    this.el = svg('svg', { class: 'timeline-bar', height: HEIGHT, 'data-field': 'timeline-bar' });
    this.el.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    this.el.addEventListener('pointerdown', (e) => this.onDown(e));
    this.el.addEventListener('pointermove', (e) => this.onMove(e));
    this.el.addEventListener('pointerup', (e) => this.onUp(e));
    this.el.addEventListener('pointercancel', () => ((this.drag = null), this.render()));
    this.resize = new ResizeObserver(() => this.render());
    this.resize.observe(this.el);
  }

  get width(): number {
    return Math.max(1, this.el.getBoundingClientRect().width);
  }

  setSegments(segments: TimelineSegment[]): void {
    this.segments = segments;
    this.render();
  }

  setPlayhead(time: number | null): void {
    this.playhead = time;
    if (this.drag?.kind !== 'scrub') this.render();
  }

  setSelection(range: TimeWindow | null): void {
    this.selection = range;
    this.render();
  }

  zoom(factor: number): void {
    this.scale.zoom(factor, this.playhead !== null && this.playhead >= this.scale.window.from && this.playhead <= this.scale.window.to ? this.playhead : undefined);
    this.render();
  }

  reset(): void {
    this.scale.reset();
    this.render();
  }

  close(): void {
    this.resize.disconnect();
  }

  private xOf(e: PointerEvent | WheelEvent): number {
    return e.clientX - this.el.getBoundingClientRect().left;
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    if (e.deltaY === 0) return;
    this.scale.zoom(e.deltaY > 0 ? ZOOM_STEP : 1 / ZOOM_STEP, this.scale.timeAt(this.xOf(e), this.width));
    this.render();
  }

  private onDown(e: PointerEvent): void {
    if (e.button !== 0) return;
    const x = this.xOf(e);
    const w = this.width;
    this.el.setPointerCapture(e.pointerId);
    if (e.shiftKey) {
      const t = this.scale.timeAt(x, w);
      this.drag = { kind: 'select', anchor: t, time: t };
    } else if (this.playhead !== null && Math.abs(this.scale.xOf(this.playhead, w) - x) <= HEAD_GRAB_PX) {
      this.drag = { kind: 'scrub', time: this.playhead };
    } else {
      this.drag = { kind: 'press', x0: x, lastX: x, moved: false };
    }
  }

  private onMove(e: PointerEvent): void {
    const d = this.drag;
    if (!d) return;
    const x = this.xOf(e);
    const w = this.width;
    if (d.kind === 'press') {
      if (!d.moved && Math.abs(x - d.x0) < CLICK_SLOP_PX) return;
      d.moved = true;
      this.scale.pan(-(x - d.lastX) * this.scale.resolution(w));
      d.lastX = x;
    } else {
      d.time = this.scale.timeAt(x, w);
    }
    this.render();
  }

  private onUp(e: PointerEvent): void {
    const d = this.drag;
    this.drag = null;
    if (!d) return;
    if (d.kind === 'press' && !d.moved) this.on.pick(Math.round(this.scale.timeAt(this.xOf(e), this.width)));
    else if (d.kind === 'scrub') {
      this.playhead = d.time;
      this.on.scrub(Math.round(d.time));
    } else if (d.kind === 'select') {
      const from = Math.round(Math.min(d.anchor, d.time));
      const to = Math.round(Math.max(d.anchor, d.time));
      this.selection = to > from ? { from, to } : null;
      this.on.select(this.selection);
    }
    this.render();
  }

  /** Redraws everything (a day has a few hundred recordings at most: cheaper to redraw than to patch). */
  render(): void {
    const w = this.width;
    const s = this.scale;
    const { from, to } = s.window;
    this.el.setAttribute('data-from', String(from));
    this.el.setAttribute('data-to', String(to));
    this.el.setAttribute('data-resolution', String(s.resolution(w)));
    const nodes: SVGElement[] = [svg('rect', { class: 'tl-track', x: 0, y: BAR_Y, width: w, height: BAR_H })];
    for (const seg of this.segments) {
      if (seg.end <= from || seg.start >= to) continue;
      const x0 = Math.max(0, s.xOf(seg.start, w));
      const x1 = Math.min(w, s.xOf(seg.end, w));
      nodes.push(svg('rect', { class: 'tl-seg', x: x0, y: BAR_Y, width: Math.max(1, x1 - x0), height: BAR_H, 'data-start': seg.start, 'data-end': seg.end }));
    }
    const { step, times } = s.ticks(w);
    const fmt = new Intl.DateTimeFormat(getLocale(), { hour: '2-digit', minute: '2-digit', second: step < 60 ? '2-digit' : undefined, hour12: false });
    for (const t of times) {
      const x = s.xOf(t, w);
      nodes.push(svg('line', { class: 'tl-tick', x1: x, x2: x, y1: AXIS_Y + 2, y2: BAR_Y + BAR_H }));
      nodes.push(svg('text', { class: 'tl-label', x: x + 3, y: AXIS_Y }, fmt.format(new Date(t * 1000))));
    }
    const sel = this.drag?.kind === 'select' ? { from: Math.min(this.drag.anchor, this.drag.time), to: Math.max(this.drag.anchor, this.drag.time) } : this.selection;
    if (sel && sel.to > from && sel.from < to) {
      const x0 = Math.max(0, s.xOf(sel.from, w));
      const x1 = Math.min(w, s.xOf(sel.to, w));
      nodes.push(svg('rect', { class: 'tl-sel', x: x0, y: BAR_Y - 4, width: Math.max(1, x1 - x0), height: BAR_H + 8, 'data-field': 'timeline-selection' }));
    }
    const head = this.drag?.kind === 'scrub' ? this.drag.time : this.playhead;
    if (head !== null && head >= from && head <= to) {
      const x = s.xOf(head, w);
      nodes.push(svg('line', { class: 'tl-head', x1: x, x2: x, y1: BAR_Y - 6, y2: HEIGHT, 'data-field': 'timeline-playhead', 'data-time': Math.round(head) }));
      nodes.push(svg('path', { class: 'tl-head-grip', d: `M${x - 6},${BAR_Y - 8} L${x + 6},${BAR_Y - 8} L${x},${BAR_Y} Z` }));
    }
    this.el.replaceChildren(...nodes);
  }
}
