import type { NormalisedRect } from '../contracts';
import type { RgbFrame } from '../frames/rgb-frame';
import type { Box } from '../model/detection';

/**
 * Finds a camera's on-screen display (time stamps, captions, logos: static, high-contrast, in the same place
 * in every frame) from the frames of one channel, so detections inside it are left out. Pure: times come in.
 */
export interface OsdMask {
  /** Adds the frame at time `t` (seconds, increasing). */
  push(frame: RgbFrame, t: number): void;
  /** The areas found so far, normalised. */
  zones(): NormalisedRect[];
  /** Share (0–1) of the box (frame pixels of a `width`×`height` frame) that lies inside the found areas. */
  covers(box: Box, width: number, height: number): number;
  reset(): void;
}

/** A detection this much inside the OSD areas is left out. */
export const OSD_COVER_SHARE = 0.5;

/** No OSD finding (stills, tests). */
export class NoOsdMask implements OsdMask {
  push(): void {}
  zones(): NormalisedRect[] {
    return [];
  }
  covers(): number {
    return 0;
  }
  reset(): void {}
}

/**
 * How OsdMaskLearner judges a frame. Text is found by its strokes, not by its stillness: a looped still of a
 * jammed road is as static as a caption, so stillness alone would mask the queue. A *stroke pixel* is a pixel
 * at least `strokeContrast` lighter (or darker) than the darkest (lightest) pixel within `strokeWidth` on both
 * sides, along a row or a column: the thin light core of a glyph between its dark outline or band (or a dark
 * glyph on a light band). A cell is *text-like* when at least `cellStrokeShare` of its pixels are stroke pixels.
 */
export interface OsdOptions {
  /** Frames whose longer side exceeds this are sampled down to it (pixels) before analysis. */
  workWidth: number;
  /** Cells across the frame (cell rows keep the aspect). */
  gridColumns: number;
  /** Grey step (0–255) a stroke pixel stands out from both sides. */
  strokeContrast: number;
  /** On a black band (≥ `bandShare` of the pixels of a cell's 3×3 neighbourhood at most `bandLuma`), strokes of this contrast count. */
  bandStrokeContrast: number;
  bandLuma: number;
  bandShare: number;
  /** Share of the scanned pixels of a cell's 3×3 neighbourhood that are stroke pixels along rows and, apart, along columns (glyphs have both; poles and wires one). */
  cellAxisShare: number;
  /** Widest stroke, pixels of the work image (at most 4). */
  strokeWidth: number;
  /** Share of a cell's scanned pixels, along rows and along columns together, that are stroke pixels for it to be text-like. */
  cellStrokeShare: number;
  /** Time constant (seconds) of each cell's running text-likeness; a cell is OSD while it is ≥ `onLevel`. */
  learnSeconds: number;
  onLevel: number;
  /** Frames closer than this to the last analysed one are skipped (seconds): bounds the cost at high frame rates. */
  minIntervalSeconds: number;
  /** A zone lies wholly inside the top or bottom `borderBand` of the frame (share of its height). */
  borderBand: number;
  /** Tallest zone, share of the frame height (a caption block of a few lines). */
  maxZoneHeight: number;
  /** Share of a zone's cells that are OSD cells. */
  minFill: number;
  /** Smallest zone, cells. */
  minCells: number;
  /** Narrowest zone, share of the frame width (a licence plate or a headlight is narrower). */
  minZoneWidth: number;
  /** Least width / height of a zone, in pixels (text runs along a line; a logo is about twice as wide as tall). */
  minAspect: number;
  /** Most zones kept (the largest). */
  maxZones: number;
}

export const OSD_OPTIONS: Readonly<OsdOptions> = {
  workWidth: 640,
  gridColumns: 80,
  strokeContrast: 80,
  strokeWidth: 3,
  cellStrokeShare: 0.12,
  cellAxisShare: 0.015,
  bandStrokeContrast: 50,
  bandLuma: 32,
  bandShare: 0.4,
  learnSeconds: 3,
  onLevel: 0.6,
  minIntervalSeconds: 0.4,
  borderBand: 0.2,
  maxZoneHeight: 0.15,
  minFill: 0.3,
  minCells: 4,
  minZoneWidth: 0.06,
  minAspect: 1.5,
  maxZones: 16,
};

/** A zone grows this many cells sideways to join glyphs and words of one line (and 1 cell up/down for lines). */
const JOIN_CELLS_X = 3;
const JOIN_CELLS_Y = 1;
/** Rows at the top or bottom of a zone with fewer OSD cells than this share of its fullest row are trimmed off. */
const TRIM_ROW_SHARE = 0.34;
/** Rows analysed beyond the border bands (share of the frame height), so a zone reaching out of its band is seen to. */
const BAND_MARGIN = 0.05;

/**
 * Finds OSD areas in the frames of one channel (one instance per channel; reset() on a new source).
 *
 * Per analysed frame (at most one per `minIntervalSeconds`): grey image → stroke pixels counted per cell (only in
 * the top and bottom bands, where zones may lie) → each cell's running text-likeness (exponential, time constant
 * `learnSeconds`, starting at the first frame's value, so a caption counts from frame 1 and a moving pattern fades
 * within ~1.5 s) → cells at ≥ `onLevel` joined into lines and blocks → rectangles shaped like on-screen text kept.
 * A time stamp whose digits change stays text-like, so it stays found. Memory: a few bytes per work-image pixel
 * (the work image is at most `workWidth` on its longer side) and a few numbers per cell.
 */
export class OsdMaskLearner implements OsdMask {
  readonly options: Readonly<OsdOptions>;
  private w = 0;
  private h = 0;
  private cols = 0;
  private rows = 0;
  private cellW = 0;
  private cellH = 0;
  private frameW = 0;
  private frameH = 0;
  private grey = new Uint8Array(0);
  private countsX = new Uint32Array(0);
  private countsY = new Uint32Array(0);
  /** Stroke pixels between `bandStrokeContrast` and `strokeContrast`, and pixels ≤ `bandLuma` (row scan). */
  private weakX = new Uint32Array(0);
  private weakY = new Uint32Array(0);
  private darks = new Uint32Array(0);
  /** Cell column of each work-image column. */
  private colCell = new Int32Array(0);
  /** Scratch: grey min / max over windows of `strokeWidth` pixels (a row's, then the whole image's columns). */
  private winMin = new Uint8Array(0);
  private winMax = new Uint8Array(0);
  /** Running text-likeness per cell, 0–1. */
  private level = new Float32Array(0);
  private lastT = Number.NaN;
  private found: NormalisedRect[] = [];

  constructor(opts: Partial<OsdOptions> = {}) {
    const o = { ...OSD_OPTIONS, ...opts };
    o.strokeWidth = Math.max(1, Math.min(4, Math.round(o.strokeWidth)));
    o.gridColumns = Math.max(4, Math.min(320, Math.round(o.gridColumns)));
    o.workWidth = Math.max(16, Math.min(1920, Math.round(o.workWidth)));
    o.maxZones = Math.max(0, Math.min(64, Math.round(o.maxZones)));
    this.options = o;
  }

  push(frame: RgbFrame, t: number): void {
    if (!frame || !(frame.width > 0) || !(frame.height > 0) || !Number.isInteger(frame.width) || !Number.isInteger(frame.height)) return;
    if (!frame.data || frame.data.length < frame.width * frame.height * 3) return;
    if (!Number.isFinite(t)) return;
    if (frame.width !== this.frameW || frame.height !== this.frameH) this.resize(frame.width, frame.height);
    else if (Number.isFinite(this.lastT) && t < this.lastT) this.clearLearning();
    if (this.w < 2 * this.options.strokeWidth + 1 || this.h < 2 * this.options.strokeWidth + 1) return;
    const first = !Number.isFinite(this.lastT);
    const o = this.options;
    if (!first && t - this.lastT < o.minIntervalSeconds) return;
    const dt = first ? 0 : t - this.lastT;
    this.lastT = t;
    for (const counts of [this.countsX, this.countsY, this.weakX, this.weakY, this.darks]) counts.fill(0);
    // Zones lie in the top and bottom bands; a margin beyond them shows what would reach out of the band.
    const reach = Math.min(this.rows, Math.ceil((o.borderBand + BAND_MARGIN) * this.rows));
    const r = o.strokeWidth;
    const topEnd = reach * this.cellH;
    const bottomStart = Math.max(reach, this.rows - reach) * this.cellH;
    this.toGrey(frame, 0, topEnd + r);
    this.toGrey(frame, bottomStart - r, this.h);
    this.countStrokes(0, topEnd);
    this.countStrokes(bottomStart, this.rows * this.cellH);
    const a = first ? 1 : 1 - Math.exp(-dt / Math.max(1e-3, o.learnSeconds));
    const scanned = (this.cellW * this.cellH) / this.scanStep();
    const each = o.cellAxisShare * scanned * 9;
    const both = o.cellStrokeShare * scanned * 2;
    const { cols, rows } = this;
    for (let cy = 0; cy < rows; cy++) {
      for (let cx = 0; cx < cols; cx++) {
        const i = cy * cols + cx;
        // Glyphs have strokes both ways somewhere near (a pole or a wire only one way): 3×3 cells, each way.
        let nx = 0, ny = 0, wnx = 0, wny = 0, nd = 0, nc = 0;
        for (let y = Math.max(0, cy - 1); y <= Math.min(rows - 1, cy + 1); y++) {
          for (let x = Math.max(0, cx - 1); x <= Math.min(cols - 1, cx + 1); x++) {
            const j = y * cols + x;
            nx += this.countsX[j];
            ny += this.countsY[j];
            wnx += this.weakX[j];
            wny += this.weakY[j];
            nd += this.darks[j];
            nc++;
          }
        }
        const sx = this.countsX[i];
        const sy = this.countsY[i];
        const strong = sx + sy >= both && nx >= each && ny >= each;
        // Dim glyphs (blurred, low-bitrate video) count on a black band: the band is what makes them OSD.
        const banded = nd >= o.bandShare * scanned * nc && sx + sy + this.weakX[i] + this.weakY[i] >= both && nx + wnx >= each && ny + wny >= each;
        const text = strong || banded ? 1 : 0;
        this.level[i] += a * (text - this.level[i]);
      }
    }
    this.found = this.group();
  }

  zones(): NormalisedRect[] {
    return this.found.map((z) => ({ ...z }));
  }

  covers(box: Box, width: number, height: number): number {
    if (!box || !(width > 0) || !(height > 0) || !Number.isFinite(width) || !Number.isFinite(height)) return 0;
    const x1 = box.x1 / width;
    const x2 = box.x2 / width;
    const y1 = box.y1 / height;
    const y2 = box.y2 / height;
    if (![x1, x2, y1, y2].every(Number.isFinite) || x2 <= x1 || y2 <= y1) return 0;
    // Zones never overlap each other (they come from separate components), so the shares add up.
    let inside = 0;
    for (const z of this.found) {
      const iw = Math.min(x2, z.x2) - Math.max(x1, z.x1);
      const ih = Math.min(y2, z.y2) - Math.max(y1, z.y1);
      if (iw > 0 && ih > 0) inside += iw * ih;
    }
    return Math.min(1, inside / ((x2 - x1) * (y2 - y1)));
  }

  reset(): void {
    this.frameW = 0;
    this.frameH = 0;
    this.w = 0;
    this.h = 0;
    this.grey = new Uint8Array(0);
    this.countsX = new Uint32Array(0);
    this.countsY = new Uint32Array(0);
    this.weakX = new Uint32Array(0);
    this.weakY = new Uint32Array(0);
    this.darks = new Uint32Array(0);
    this.colCell = new Int32Array(0);
    this.winMin = new Uint8Array(0);
    this.winMax = new Uint8Array(0);
    this.level = new Float32Array(0);
    this.clearLearning();
  }

  private clearLearning(): void {
    this.level.fill(0);
    this.lastT = Number.NaN;
    this.found = [];
  }

  private resize(width: number, height: number): void {
    const o = this.options;
    this.frameW = width;
    this.frameH = height;
    const scale = Math.min(1, o.workWidth / Math.max(width, height));
    this.w = Math.max(1, Math.round(width * scale));
    this.h = Math.max(1, Math.round(height * scale));
    this.cellW = Math.max(2, Math.floor(this.w / o.gridColumns));
    this.cellH = this.cellW;
    this.cols = Math.max(1, Math.floor(this.w / this.cellW));
    this.rows = Math.max(1, Math.floor(this.h / this.cellH));
    this.grey = new Uint8Array(this.w * this.h);
    this.countsX = new Uint32Array(this.cols * this.rows);
    this.countsY = new Uint32Array(this.cols * this.rows);
    this.weakX = new Uint32Array(this.cols * this.rows);
    this.weakY = new Uint32Array(this.cols * this.rows);
    this.darks = new Uint32Array(this.cols * this.rows);
    this.colCell = new Int32Array(this.w);
    for (let x = 0; x < this.w; x++) this.colCell[x] = Math.min(this.cols - 1, Math.floor(x / this.cellW));
    this.winMin = new Uint8Array(this.w * this.h);
    this.winMax = new Uint8Array(this.w * this.h);
    this.level = new Float32Array(this.cols * this.rows);
    this.clearLearning();
  }

  private scanStep(): number {
    return this.cellW >= 6 ? 2 : 1;
  }

  /** BT.601 luma of rows `fromY`..`toY` of the work image, nearest-neighbour sampled down to it (keeps strokes sharp). */
  private toGrey(frame: RgbFrame, fromY: number, toY: number): void {
    const { w, h, grey } = this;
    const d = frame.data;
    const y0 = Math.max(0, fromY);
    const y1 = Math.min(h, toY);
    if (frame.width === w && frame.height === h) {
      for (let i = y0 * w, p = i * 3, end = y1 * w; i < end; i++, p += 3) grey[i] = (77 * d[p] + 150 * d[p + 1] + 29 * d[p + 2]) >> 8;
      return;
    }
    const fx = frame.width / w;
    const fy = frame.height / h;
    for (let y = y0; y < y1; y++) {
      const sy = Math.min(frame.height - 1, Math.floor(y * fy));
      const row = sy * frame.width;
      for (let x = 0; x < w; x++) {
        const p = (row + Math.min(frame.width - 1, Math.floor(x * fx))) * 3;
        grey[y * w + x] = (77 * d[p] + 150 * d[p + 1] + 29 * d[p + 2]) >> 8;
      }
    }
  }

  /**
   * Stroke pixels per cell: `countsX` from scans along rows (upright strokes), `countsY` along columns
   * (level strokes), both polarities. Every other row (column) is scanned in cells of 6 pixels or more
   * (strokes are longer than 2 pixels); every one in smaller cells (small frames), which would hold too few.
   */
  private countStrokes(fromY: number, toY: number): void {
    const { w, h, grey, countsX, countsY, weakX, weakY, darks, cellH, cols, colCell, winMin, winMax } = this;
    const r = this.options.strokeWidth;
    const c = this.options.strokeContrast;
    const cb = Math.min(c, this.options.bandStrokeContrast);
    const bandLuma = this.options.bandLuma;
    const step = this.scanStep();
    const ch = Math.min(toY, this.rows * cellH);
    const cw = cols * this.cellW;
    // Along rows: winMin/winMax[x] = min/max of grey[x .. x+r-1] (this row); left of x is x-r, right is x+1.
    for (let y = Math.ceil(fromY / step) * step; y < ch; y += step) {
      const row = y * w;
      const cellRow = ((y / cellH) | 0) * cols;
      for (let x = 0; x + r <= w; x++) {
        let mn = grey[row + x];
        let mx = mn;
        for (let k = 1; k < r; k++) {
          const g = grey[row + x + k];
          if (g < mn) mn = g;
          else if (g > mx) mx = g;
        }
        winMin[x] = mn;
        winMax[x] = mx;
      }
      const end = Math.min(cw, w - r);
      for (let x = r; x < end; x++) {
        const v = grey[row + x];
        const l1 = winMin[x - r], l2 = winMin[x + 1], h1 = winMax[x - r], h2 = winMax[x + 1];
        const light = v - (l1 > l2 ? l1 : l2);
        const dark = (h1 < h2 ? h1 : h2) - v;
        const d = light > dark ? light : dark;
        const cell = cellRow + colCell[x];
        if (d >= cb) {
          if (d >= c) countsX[cell]++;
          else weakX[cell]++;
        }
        if (v <= bandLuma) darks[cell]++;
      }
    }
    // Along columns (every `step`-th): winMin/winMax[y*w + x] = min/max of grey at rows y .. y+r-1.
    for (let y = Math.max(0, fromY - r); y + r <= h && y <= ch; y++) {
      const row = y * w;
      for (let x = 0; x < cw; x += step) {
        let mn = grey[row + x];
        let mx = mn;
        for (let k = 1; k < r; k++) {
          const g = grey[row + k * w + x];
          if (g < mn) mn = g;
          else if (g > mx) mx = g;
        }
        winMin[row + x] = mn;
        winMax[row + x] = mx;
      }
    }
    const endY = Math.min(ch, h - r);
    for (let y = Math.max(r, fromY); y < endY; y++) {
      const row = y * w;
      const above = row - r * w;
      const below = row + w;
      const cellRow = ((y / cellH) | 0) * cols;
      for (let x = 0; x < cw; x += step) {
        const v = grey[row + x];
        const l1 = winMin[above + x], l2 = winMin[below + x], h1 = winMax[above + x], h2 = winMax[below + x];
        const light = v - (l1 > l2 ? l1 : l2);
        const dark = (h1 < h2 ? h1 : h2) - v;
        const d = light > dark ? light : dark;
        if (d >= cb) {
          const cell = cellRow + colCell[x];
          if (d >= c) countsY[cell]++;
          else weakY[cell]++;
        }
      }
    }
  }

  /** OSD cells grouped into rectangles that look like on-screen text: near the top or bottom, not too tall, well filled. */
  private group(): NormalisedRect[] {
    const o = this.options;
    const { cols, rows, level } = this;
    const on = new Uint8Array(cols * rows);
    for (let i = 0; i < on.length; i++) on[i] = level[i] >= o.onLevel ? 1 : 0;
    const label = new Int32Array(cols * rows).fill(-1);
    const stack: number[] = [];
    const out: { rect: NormalisedRect; cells: number }[] = [];
    for (let start = 0; start < on.length; start++) {
      if (!on[start] || label[start] >= 0) continue;
      let x1 = cols, y1 = rows, x2 = -1, y2 = -1, cells = 0;
      label[start] = start;
      stack.push(start);
      while (stack.length) {
        const i = stack.pop()!;
        const cx = i % cols;
        const cy = (i / cols) | 0;
        cells++;
        if (cx < x1) x1 = cx;
        if (cx > x2) x2 = cx;
        if (cy < y1) y1 = cy;
        if (cy > y2) y2 = cy;
        for (let dy = -JOIN_CELLS_Y; dy <= JOIN_CELLS_Y; dy++) {
          const ny = cy + dy;
          if (ny < 0 || ny >= rows) continue;
          for (let dx = -JOIN_CELLS_X; dx <= JOIN_CELLS_X; dx++) {
            const nx = cx + dx;
            if (nx < 0 || nx >= cols) continue;
            const j = ny * cols + nx;
            if (on[j] && label[j] < 0) {
              label[j] = start;
              stack.push(j);
            }
          }
        }
      }
      // Trim sparse rows off the top and bottom (a vehicle under the text joins by a few cells).
      const rowFill = (y: number) => {
        let n = 0;
        for (let x = x1; x <= x2; x++) if (label[y * cols + x] === start) n++;
        return n;
      };
      let best = 0;
      for (let y = y1; y <= y2; y++) best = Math.max(best, rowFill(y));
      while (y1 < y2 && rowFill(y1) < TRIM_ROW_SHARE * best) y1++;
      while (y2 > y1 && rowFill(y2) < TRIM_ROW_SHARE * best) y2--;
      const bw = x2 - x1 + 1;
      const bh = y2 - y1 + 1;
      if (cells < o.minCells || cells < o.minFill * bw * bh) continue;
      const rect = { x1: (x1 * this.cellW) / this.w, y1: (y1 * this.cellH) / this.h, x2: ((x2 + 1) * this.cellW) / this.w, y2: ((y2 + 1) * this.cellH) / this.h };
      if (rect.y2 - rect.y1 > o.maxZoneHeight || rect.x2 - rect.x1 < o.minZoneWidth) continue;
      if ((rect.x2 - rect.x1) * this.w < o.minAspect * (rect.y2 - rect.y1) * this.h) continue;
      if (rect.y2 > o.borderBand && rect.y1 < 1 - o.borderBand) continue;
      out.push({ rect, cells });
    }
    out.sort((a, b) => b.cells - a.cells);
    return out.slice(0, o.maxZones).map((z) => z.rect);
  }
}
