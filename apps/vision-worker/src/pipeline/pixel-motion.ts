import type { RgbFrame } from '../frames/rgb-frame';
import type { Box } from '../model/detection';

/**
 * Whether the picture inside a box changed since a frame about a second ago: a frame-difference test
 * that needs no association, so it judges motion at the live default of 1 frame/s, where a vehicle at
 * speed moves further than its own length between frames and an IoU tracker cannot follow it (it would
 * start a new, "unknown" track every frame and leave only slow vehicles judged).
 *
 * Frames are kept as small grey thumbnails; a box is static when the mean absolute grey difference over
 * its inner part is under `staticMad`. Pure: no timers, the caller gives times.
 */
export interface PixelMotionOptions {
  /** Thumbnail width in pixels (height keeps the aspect). */
  thumbWidth: number;
  /** A reference frame must be at least this old, seconds. */
  minAgeSeconds: number;
  /** Frames older than this are forgotten, seconds (a gap longer than it means no reference). */
  maxAgeSeconds: number;
  /** Mean absolute grey difference (0–255) under which the inside of a box is static. */
  staticMad: number;
  /** Share of a box's width/height trimmed at each side (road and neighbours at the edges). */
  inset: number;
}

export const PIXEL_MOTION: Readonly<PixelMotionOptions> = {
  thumbWidth: 160,
  minAgeSeconds: 0.8,
  maxAgeSeconds: 3,
  staticMad: 10,
  inset: 0.15,
};

/** Most thumbnails held (bounds memory at high frame rates: 3 s at 25 frames/s is 75). */
export const MAX_THUMBS = 96;

/** A frame as a small grey picture (what PixelMotion compares; SceneFixtures reads the same one). */
export interface GreyThumb {
  t: number;
  width: number;
  height: number;
  /** Grey 0–255, row-major. */
  grey: Uint8Array;
  /** Source frame size, to map boxes. */
  frameWidth: number;
  frameHeight: number;
}

export class PixelMotion {
  private readonly opts: PixelMotionOptions;
  private thumbs: GreyThumb[] = [];
  private current: GreyThumb | null = null;
  private reference: GreyThumb | null = null;

  constructor(opts: Partial<PixelMotionOptions> = {}) {
    this.opts = { ...PIXEL_MOTION, ...opts };
  }

  /** Adds the frame at time `t` (seconds, increasing) and picks the reference the next `isStatic` calls use. */
  push(frame: RgbFrame, t: number): void {
    const thumb = makeThumb(frame, t, this.opts.thumbWidth);
    this.thumbs = this.thumbs.filter((x) => t - x.t <= this.opts.maxAgeSeconds && x.t < t && x.frameWidth === thumb.frameWidth && x.frameHeight === thumb.frameHeight);
    // The newest frame old enough: the shortest interval that still shows motion.
    this.reference = null;
    for (let i = this.thumbs.length - 1; i >= 0; i--) {
      if (t - this.thumbs[i].t >= this.opts.minAgeSeconds) {
        this.reference = this.thumbs[i];
        break;
      }
    }
    this.thumbs.push(thumb);
    if (this.thumbs.length > MAX_THUMBS) this.thumbs.splice(0, this.thumbs.length - MAX_THUMBS);
    this.current = thumb;
  }

  /** The thumbnail of the frame last pushed, null before the first. */
  currentThumb(): GreyThumb | null {
    return this.current;
  }

  /** true: the box's inside is unchanged since the reference; false: it changed; null: no reference yet or a box too small to judge. */
  isStatic(box: Box): boolean | null {
    const mad = this.difference(box);
    return mad === null ? null : mad < this.opts.staticMad;
  }

  /** Mean absolute grey difference inside the box against the reference, or null. */
  difference(box: Box): number | null {
    const cur = this.current;
    const ref = this.reference;
    if (!cur || !ref) return null;
    const sx = cur.width / cur.frameWidth;
    const sy = cur.height / cur.frameHeight;
    const w = box.x2 - box.x1;
    const h = box.y2 - box.y1;
    if (!(w > 0 && h > 0)) return null;
    const x1 = Math.max(0, Math.floor((box.x1 + w * this.opts.inset) * sx));
    const x2 = Math.min(cur.width, Math.ceil((box.x2 - w * this.opts.inset) * sx));
    const y1 = Math.max(0, Math.floor((box.y1 + h * this.opts.inset) * sy));
    const y2 = Math.min(cur.height, Math.ceil((box.y2 - h * this.opts.inset) * sy));
    if (x2 <= x1 || y2 <= y1) return null;
    let sum = 0;
    for (let y = y1; y < y2; y++) {
      const row = y * cur.width;
      for (let x = x1; x < x2; x++) sum += Math.abs(cur.grey[row + x] - ref.grey[row + x]);
    }
    return sum / ((x2 - x1) * (y2 - y1));
  }

  reset(): void {
    this.thumbs = [];
    this.current = null;
    this.reference = null;
  }
}

/** Box-filtered grey thumbnail (BT.601 luma) of an RGB24 frame. */
function makeThumb(frame: RgbFrame, t: number, thumbWidth: number): GreyThumb {
  const width = Math.max(1, Math.min(thumbWidth, frame.width));
  const height = Math.max(1, Math.round((frame.height * width) / frame.width));
  const grey = new Uint8Array(width * height);
  const fx = frame.width / width;
  const fy = frame.height / height;
  if (!thumbWords(frame, width, height, fx, fy, grey)) thumbBytes(frame, width, height, fx, fy, grey);
  return { t, width, height, grey, frameWidth: frame.width, frameHeight: frame.height };
}

/** The box filter pixel by pixel: any frame and thumbnail size. */
function thumbBytes(frame: RgbFrame, width: number, height: number, fx: number, fy: number, grey: Uint8Array): void {
  const d = frame.data;
  for (let y = 0; y < height; y++) {
    const sy1 = Math.floor(y * fy);
    const sy2 = Math.max(sy1 + 1, Math.floor((y + 1) * fy));
    for (let x = 0; x < width; x++) {
      const sx1 = Math.floor(x * fx);
      const sx2 = Math.max(sx1 + 1, Math.floor((x + 1) * fx));
      let acc = 0;
      let n = 0;
      for (let yy = sy1; yy < sy2; yy++) {
        let p = (yy * frame.width + sx1) * 3;
        for (let xx = sx1; xx < sx2; xx++, p += 3) {
          acc += 77 * d[p] + 150 * d[p + 1] + 29 * d[p + 2];
          n++;
        }
      }
      grey[y * width + x] = acc / n / 256;
    }
  }
}

/** Lanes of 16 bits in a 32-bit word (SWAR): bytes 0 and 2. */
const LANES = 0x00ff00ff;
/** Four-pixel groups one block may sum before a 16-bit lane (two bytes a group) could pass 2^15 (int32-safe). */
const MAX_GROUPS = 64;

/**
 * The same box filter, with the same sums, reading four pixels (three 32-bit words) at a time when each thumbnail
 * pixel covers a whole number of four-pixel groups per row (1280 → 160: 8 pixels; 640: 4): two lanes per word add
 * two bytes at once. Little-endian words r0 g0 b0 r1 | g1 b1 r2 g2 | b2 r3 g3 b3:
 *   P = w0 + w2>>>8 (lanes r0+r3, b0+b3), Q = w0>>>8 + w1 (g0+g1, r1+r2), S = w1>>>8 + w2 (b1+b2, g2+g3), masked.
 * False when the frame does not fit (the byte loop then runs).
 */
function thumbWords(frame: RgbFrame, width: number, height: number, fx: number, fy: number, grey: Uint8Array): boolean {
  const d = frame.data;
  const groups = fx / 4;
  if (!Number.isInteger(groups) || d.byteOffset % 4 !== 0 || (frame.width * 3) % 4 !== 0) return false;
  if (groups * Math.max(1, Math.ceil(fy)) > MAX_GROUPS) return false;
  const words = new Uint32Array(d.buffer, d.byteOffset, (frame.width * frame.height * 3) >> 2);
  const rowWords = (frame.width * 3) >> 2;
  const p = new Int32Array(width);
  const q = new Int32Array(width);
  const s = new Int32Array(width);
  for (let y = 0; y < height; y++) {
    const sy1 = Math.floor(y * fy);
    const sy2 = Math.max(sy1 + 1, Math.floor((y + 1) * fy));
    p.fill(0);
    q.fill(0);
    s.fill(0);
    for (let yy = sy1; yy < sy2; yy++) {
      let w = yy * rowWords;
      for (let x = 0; x < width; x++) {
        let sp = 0;
        let sq = 0;
        let ss = 0;
        for (let g = 0; g < groups; g++, w += 3) {
          const w0 = words[w];
          const w1 = words[w + 1];
          const w2 = words[w + 2];
          sp += (w0 & LANES) + ((w2 >>> 8) & LANES);
          sq += ((w0 >>> 8) & LANES) + (w1 & LANES);
          ss += ((w1 >>> 8) & LANES) + (w2 & LANES);
        }
        p[x] += sp;
        q[x] += sq;
        s[x] += ss;
      }
    }
    const n = (sy2 - sy1) * groups * 4;
    for (let x = 0; x < width; x++) {
      const r = (p[x] & 0xffff) + (q[x] >>> 16);
      const gr = (q[x] & 0xffff) + (s[x] >>> 16);
      const b = (p[x] >>> 16) + (s[x] & 0xffff);
      grey[y * width + x] = (77 * r + 150 * gr + 29 * b) / n / 256;
    }
  }
  return true;
}
