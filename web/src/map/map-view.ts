import type { PlanTransform } from '@gb/contracts';
import { apiBlob } from '../api';
import { h } from '../dom';
import { MAX_TILE_ZOOM, MIN_TILE_ZOOM, lonLatToWorld, visibleTiles, worldToLonLat } from './map-geometry';

/** Where a marker sits: a catalog longitude/latitude, or plan pixels placed by hand. */
export type MarkerPlace = { lonlat: [number, number] } | { px: [number, number] };

export interface MapMarker {
  channelId: string;
  place: MarkerPlace;
  el: HTMLElement;
}

/** Tiles kept as object URLs (the oldest is revoked past this). */
const TILE_CACHE = 256;
/** Plan zoom bounds, relative to the fitted scale. */
const MIN_PLAN_ZOOM = 0.2;
const MAX_PLAN_ZOOM = 20;

/**
 * The map surface: either the site plan image (world = plan pixels, scaled by `s` and shifted by `t`) or a slippy tile
 * layer (world = Web Mercator pixels at integer zoom `z`, shifted by `t`). Drag pans, the wheel zooms around the
 * pointer. Markers are laid out in screen pixels over either, so they keep their size.
 */
export class MapView {
  readonly el: HTMLElement;
  private readonly planImg = h('img', { class: 'map-plan', alt: '', draggable: 'false', 'data-field': 'map-plan' });
  private readonly tileLayer = h('div', { class: 'map-tiles' });
  private readonly markerLayer = h('div', { class: 'map-markers' });
  private mode: 'plan' | 'tiles' | 'none' = 'none';
  private planSize: [number, number] = [0, 0];
  private transform: PlanTransform | null = null;
  private s = 1;
  private fitS = 1;
  private z = 17;
  private tx = 0;
  private ty = 0;
  private readonly markers = new Map<string, MapMarker>();
  private readonly tiles = new Map<string, string>();
  private readonly tilePending = new Set<string>();
  private disposed = false;
  private tileTemplate = false;
  /** The operator panned or zoomed since the plan was fitted. */
  private moved = false;

  /** `onPick` gets plan pixels of a plain click (no drag) on the plan. */
  constructor(private readonly onPick: (px: [number, number]) => void) {
    this.el = h('div', { class: 'map-view', 'data-field': 'map-view' }, this.planImg, this.tileLayer, this.markerLayer);
    this.planImg.hidden = true;
    this.bindPanZoom();
    // A plan nobody panned or zoomed yet stays fitted when the view changes size.
    new ResizeObserver(() => {
      if (this.mode === 'plan' && !this.moved) this.fit();
      this.render();
    }).observe(this.el);
  }

  get currentMode(): 'plan' | 'tiles' | 'none' {
    return this.mode;
  }

  /** Shows the plan (object URL of its image) placed by `transform` (null: only hand-placed markers show). */
  showPlan(url: string, size: [number, number], transform: PlanTransform | null): void {
    const first = this.mode !== 'plan' || size[0] !== this.planSize[0] || size[1] !== this.planSize[1];
    this.mode = 'plan';
    this.planSize = size;
    this.transform = transform;
    this.planImg.src = url;
    this.planImg.hidden = false;
    this.tileLayer.replaceChildren();
    if (first) this.fit();
    this.render();
  }

  /** Shows the tile layer (tiles come through GET /api/map/tiles), centred on `center` at first. */
  showTiles(center: [number, number] | null, transform: PlanTransform | null): void {
    const first = this.mode !== 'tiles';
    this.mode = 'tiles';
    this.tileTemplate = true;
    this.transform = transform;
    this.planImg.hidden = true;
    if (first) {
      this.z = 17;
      const [wx, wy] = lonLatToWorld(...(center ?? [0, 0]), this.z);
      this.tx = this.el.clientWidth / 2 - wx;
      this.ty = this.el.clientHeight / 2 - wy;
    }
    this.render();
  }

  showNone(): void {
    this.mode = 'none';
    this.planImg.hidden = true;
    this.tileLayer.replaceChildren();
    this.render();
  }

  setMarkers(list: MapMarker[]): void {
    this.markers.clear();
    for (const m of list) this.markers.set(m.channelId, m);
    this.markerLayer.replaceChildren(...list.map((m) => m.el));
    this.render();
  }

  /** Plan pixels under a client (viewport) point, or null when not over the plan. */
  planPixelAt(clientX: number, clientY: number): [number, number] | null {
    if (this.mode !== 'plan') return null;
    const r = this.el.getBoundingClientRect();
    if (clientX < r.left || clientX > r.right || clientY < r.top || clientY > r.bottom) return null;
    const x = (clientX - r.left - this.tx) / this.s;
    const y = (clientY - r.top - this.ty) / this.s;
    if (x < 0 || y < 0 || x > this.planSize[0] || y > this.planSize[1]) return null;
    return [x, y];
  }

  /** Whether a marker's place can be drawn in the current mode. */
  placeable(place: MarkerPlace): boolean {
    return this.screenOf(place) !== null;
  }

  dispose(): void {
    this.disposed = true;
    for (const url of this.tiles.values()) URL.revokeObjectURL(url);
    this.tiles.clear();
  }

  private fit(): void {
    this.moved = false;
    const w = this.el.clientWidth || 800;
    const hgt = this.el.clientHeight || 600;
    this.fitS = Math.min(w / this.planSize[0], hgt / this.planSize[1]);
    this.s = this.fitS;
    this.tx = (w - this.planSize[0] * this.s) / 2;
    this.ty = (hgt - this.planSize[1] * this.s) / 2;
  }

  /** Screen pixels (relative to the view) of a place, or null when it cannot be drawn here. */
  private screenOf(place: MarkerPlace): [number, number] | null {
    if (this.mode === 'plan') {
      let px: [number, number] | null = 'px' in place ? place.px : null;
      if (!px && this.transform && 'lonlat' in place) px = this.transform.toPixel(place.lonlat[0], place.lonlat[1]);
      return px ? [px[0] * this.s + this.tx, px[1] * this.s + this.ty] : null;
    }
    if (this.mode === 'tiles') {
      let ll: [number, number] | null = 'lonlat' in place ? place.lonlat : null;
      if (!ll && this.transform && 'px' in place) ll = this.transform.toLonLat(place.px[0], place.px[1]);
      if (!ll) return null;
      const [wx, wy] = lonLatToWorld(ll[0], ll[1], this.z);
      return [wx + this.tx, wy + this.ty];
    }
    return null;
  }

  private render(): void {
    if (this.disposed) return;
    if (this.mode === 'plan') {
      this.planImg.style.transform = `translate(${this.tx}px, ${this.ty}px) scale(${this.s})`;
      this.planImg.style.width = `${this.planSize[0]}px`;
      this.planImg.style.height = `${this.planSize[1]}px`;
    }
    if (this.mode === 'tiles') this.renderTiles();
    for (const m of this.markers.values()) {
      const at = this.screenOf(m.place);
      m.el.hidden = at === null;
      if (at) {
        m.el.style.left = `${at[0]}px`;
        m.el.style.top = `${at[1]}px`;
      }
    }
  }

  private renderTiles(): void {
    if (!this.tileTemplate) return;
    const wanted = visibleTiles(-this.tx, -this.ty, this.el.clientWidth, this.el.clientHeight, this.z);
    const imgs = wanted.map((tile) => {
      const key = `${tile.z}/${tile.x}/${tile.y}`;
      const img = h('img', { class: 'map-tile', alt: '', draggable: 'false', 'data-tile': key });
      img.style.left = `${tile.left}px`;
      img.style.top = `${tile.top}px`;
      const url = this.tiles.get(key);
      if (url) img.src = url;
      else void this.loadTile(key);
      return img;
    });
    this.tileLayer.replaceChildren(...imgs);
  }

  private async loadTile(key: string): Promise<void> {
    if (this.tilePending.has(key)) return;
    this.tilePending.add(key);
    try {
      const blob = await apiBlob(`/api/map/tiles/${key}`);
      if (this.disposed) return;
      this.tiles.set(key, URL.createObjectURL(blob));
      if (this.tiles.size > TILE_CACHE) {
        const oldest = this.tiles.keys().next().value!;
        URL.revokeObjectURL(this.tiles.get(oldest)!);
        this.tiles.delete(oldest);
      }
      for (const img of this.tileLayer.querySelectorAll<HTMLImageElement>(`img[data-tile="${key}"]`)) img.src = this.tiles.get(key)!;
    } catch {
      /* a missing tile stays blank */
    } finally {
      this.tilePending.delete(key);
    }
  }

  private bindPanZoom(): void {
    let drag: { x: number; y: number; tx: number; ty: number; moved: boolean } | null = null;
    this.el.addEventListener('pointerdown', (e) => {
      if (e.button !== 0 || (e.target as HTMLElement).closest('.map-marker')) return;
      drag = { x: e.clientX, y: e.clientY, tx: this.tx, ty: this.ty, moved: false };
      this.el.setPointerCapture(e.pointerId);
    });
    this.el.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      this.moved ||= drag.moved;
      this.tx = drag.tx + dx;
      this.ty = drag.ty + dy;
      this.render();
    });
    this.el.addEventListener('pointerup', (e) => {
      const d = drag;
      drag = null;
      if (d && !d.moved) {
        const px = this.planPixelAt(e.clientX, e.clientY);
        if (px) this.onPick(px);
      }
    });
    this.el.addEventListener('wheel', (e) => {
      e.preventDefault();
      this.moved = true;
      const r = this.el.getBoundingClientRect();
      const cx = e.clientX - r.left;
      const cy = e.clientY - r.top;
      if (this.mode === 'plan') {
        const next = Math.min(this.fitS * MAX_PLAN_ZOOM, Math.max(this.fitS * MIN_PLAN_ZOOM, this.s * (e.deltaY < 0 ? 1.25 : 0.8)));
        const k = next / this.s;
        this.tx = cx - (cx - this.tx) * k;
        this.ty = cy - (cy - this.ty) * k;
        this.s = next;
      } else if (this.mode === 'tiles') {
        const next = Math.min(MAX_TILE_ZOOM, Math.max(MIN_TILE_ZOOM, this.z + (e.deltaY < 0 ? 1 : -1)));
        const k = 2 ** (next - this.z);
        this.tx = cx - (cx - this.tx) * k;
        this.ty = cy - (cy - this.ty) * k;
        this.z = next;
      }
      this.render();
    }, { passive: false });
  }

  /** Longitude/latitude at the view's centre in tile mode (for keeping the place when settings change). */
  centerLonLat(): [number, number] | null {
    if (this.mode !== 'tiles') return null;
    return worldToLonLat(this.el.clientWidth / 2 - this.tx, this.el.clientHeight / 2 - this.ty, this.z);
  }
}
