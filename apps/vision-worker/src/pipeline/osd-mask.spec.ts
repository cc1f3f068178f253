import { describe, expect, it } from 'vitest';
import type { RgbFrame } from '../frames/rgb-frame';
import { NoOsdMask, OSD_OPTIONS, OsdMaskLearner } from './osd-mask';

/** 5×7 glyphs (rows top to bottom, 5 bits each, high bit left). */
const GLYPHS: Record<string, number[]> = {
  '0': [14, 17, 19, 21, 25, 17, 14],
  '1': [4, 12, 4, 4, 4, 4, 14],
  '2': [14, 17, 1, 2, 4, 8, 31],
  '3': [31, 2, 4, 2, 1, 17, 14],
  '4': [2, 6, 10, 18, 31, 2, 2],
  '5': [31, 16, 30, 1, 1, 17, 14],
  '6': [6, 8, 16, 30, 17, 17, 14],
  '7': [31, 1, 2, 4, 8, 8, 8],
  '8': [14, 17, 17, 14, 17, 17, 14],
  '9': [14, 17, 17, 15, 1, 2, 12],
  ':': [0, 12, 12, 0, 12, 12, 0],
  '-': [0, 0, 0, 31, 0, 0, 0],
  A: [14, 17, 17, 31, 17, 17, 17],
  K: [17, 18, 20, 24, 20, 18, 17],
  P: [30, 17, 17, 30, 16, 16, 16],
  S: [15, 16, 16, 14, 1, 1, 30],
  ' ': [0, 0, 0, 0, 0, 0, 0],
};

const W = 640;
const H = 480;

/** Road-like background: a mid grey with a soft gradient and mild noise (no strokes). */
function background(width = W, height = H, seed = 1): RgbFrame {
  const data = Buffer.alloc(width * height * 3);
  let s = seed;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      const v = 90 + Math.round((60 * y) / height) + (s % 9) - 4;
      data.fill(v, (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  }
  return { width, height, data };
}

function setPixel(f: RgbFrame, x: number, y: number, v: number): void {
  if (x < 0 || y < 0 || x >= f.width || y >= f.height) return;
  f.data.fill(v, (y * f.width + x) * 3, (y * f.width + x) * 3 + 3);
}

/**
 * On-screen text as cameras draw it: light glyphs (`scale` pixels a dot, so strokes `scale` wide) with a one-pixel
 * dark outline. Returns the text's box.
 */
function drawText(f: RgbFrame, text: string, x0: number, y0: number, scale = 2): { x1: number; y1: number; x2: number; y2: number } {
  const lit = new Set<number>();
  [...text].forEach((ch, n) => {
    const rows = GLYPHS[ch] ?? GLYPHS[' '];
    rows.forEach((bits, gy) => {
      for (let gx = 0; gx < 5; gx++) {
        if (!(bits & (16 >> gx))) continue;
        for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) lit.add((y0 + gy * scale + dy) * f.width + x0 + n * 6 * scale + gx * scale + dx);
      }
    });
  });
  for (const i of lit) {
    const x = i % f.width;
    const y = Math.floor(i / f.width);
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) if (!lit.has(i + dy * f.width + dx)) setPixel(f, x + dx, y + dy, 15);
  }
  for (const i of lit) setPixel(f, i % f.width, Math.floor(i / f.width), 235);
  return { x1: x0 - 1, y1: y0 - 1, x2: x0 + text.length * 6 * scale, y2: y0 + 7 * scale + 1 };
}

/** A car seen from above and behind: a light body, a dark rear window and roof line, a dark shadow under it. */
function drawCar(f: RgbFrame, x0: number, y0: number, w = 44, h = 28, body = 215): void {
  for (let y = y0; y < y0 + h; y++) {
    for (let x = x0; x < x0 + w; x++) {
      const inWindow = y >= y0 + 6 && y < y0 + 14 && x >= x0 + 6 && x < x0 + w - 6;
      setPixel(f, x, y, inWindow ? 35 : body);
    }
  }
  for (let y = y0 + h; y < y0 + h + 5; y++) for (let x = x0 - 2; x < x0 + w + 2; x++) setPixel(f, x, y, 25);
}

/** Zones of a learner after `seconds` of identical frames at 1 frame/s. */
function learn(frame: (t: number) => RgbFrame, seconds: number, osd = new OsdMaskLearner()): OsdMaskLearner {
  for (let t = 0; t <= seconds; t++) osd.push(frame(t), t);
  return osd;
}

describe('OsdMaskLearner', () => {
  it('push() with a static caption band in the top left finds it, and covers() reports a box on it as inside', () => {
    const f = background();
    const cap = drawText(f, '508 A-5 PK 9-6 S', 40, 30);
    const osd = learn(() => f, 5);
    const zones = osd.zones();
    expect(zones.length).toBeGreaterThanOrEqual(1);
    expect(osd.covers(cap, W, H)).toBeGreaterThanOrEqual(0.8);
    for (const z of zones) expect(z.y2).toBeLessThanOrEqual(0.25);
  });

  it('push() finds the caption from the first frame (a per-frame test, no learning time needed)', () => {
    const f = background();
    const cap = drawText(f, '216 A-2 PK 17-4 S', 40, 30);
    const osd = new OsdMaskLearner();
    osd.push(f, 0);
    expect(osd.covers(cap, W, H)).toBeGreaterThanOrEqual(0.8);
  });

  it('push() with a clock whose digits change every second still finds the time stamp (text-likeness, not pixel identity)', () => {
    const osd = new OsdMaskLearner();
    let box = { x1: 0, y1: 0, x2: 0, y2: 0 };
    for (let t = 0; t <= 12; t += 0.5) {
      const f = background();
      const s = Math.floor(t);
      box = drawText(f, `08:35:${String(10 + s).padStart(2, '0')}`, 480, 430);
      osd.push(f, t);
    }
    expect(osd.covers(box, W, H)).toBeGreaterThanOrEqual(0.8);
  });

  it('push() with text-like content moving across the top band finds nothing once learned', () => {
    const osd = new OsdMaskLearner();
    for (let t = 0; t <= 10; t += 0.5) {
      const f = background();
      drawText(f, 'PK 17-4', Math.round(20 + 60 * t), 30);
      osd.push(f, t);
    }
    expect(osd.zones()).toEqual([]);
  });

  it('push() with a static picture of queued cars (static and high-contrast, no text) finds nothing, near the borders too', () => {
    const f = background();
    for (let row = 0; row < 6; row++) {
      for (let col = 0; col < 10; col++) drawCar(f, 8 + col * 63 + (row % 2) * 20, 8 + row * 78, 44, 28, col % 3 === 0 ? 60 : 215);
    }
    const osd = learn(() => f, 30);
    expect(osd.zones()).toEqual([]);
  });

  it('push() keeps the caption and still finds nothing on the cars of a static queue below it', () => {
    const f = background();
    for (let row = 1; row < 6; row++) for (let col = 0; col < 10; col++) drawCar(f, 8 + col * 63, 40 + row * 78);
    const cap = drawText(f, '601 A-6 PK 3-5 S', 40, 20);
    const osd = learn(() => f, 10);
    expect(osd.covers(cap, W, H)).toBeGreaterThanOrEqual(0.8);
    for (const z of osd.zones()) expect(z.y2).toBeLessThan(0.2);
  });

  it('zones() holds at most maxZones rectangles however many separate words the screen shows', () => {
    const f = background();
    for (let row = 0; row < 4; row++) for (let col = 0; col < 8; col++) drawText(f, '1234', 8 + col * 80, 6 + row * 26);
    for (let col = 0; col < 8; col++) drawText(f, '5678', 8 + col * 80, 440);
    const osd = learn(() => f, 5);
    expect(osd.zones().length).toBeLessThanOrEqual(OSD_OPTIONS.maxZones);
    expect(osd.zones().length).toBeGreaterThan(8);
    const few = learn(() => f, 5, new OsdMaskLearner({ maxZones: 3 }));
    expect(few.zones()).toHaveLength(3);
  });

  it('reset() forgets the zones; times may start again from 0 after it', () => {
    const f = background();
    drawText(f, '10-MAR-2014', 450, 420);
    const osd = learn(() => f, 5);
    expect(osd.zones().length).toBeGreaterThan(0);
    osd.reset();
    expect(osd.zones()).toEqual([]);
    osd.push(background(), 0);
    expect(osd.zones()).toEqual([]);
  });

  it('push() with a time that goes backwards starts learning again instead of keeping stale zones', () => {
    const f = background();
    drawText(f, '10-MAR-2014', 450, 420);
    const osd = learn(() => f, 5);
    osd.push(background(), 1);
    expect(osd.zones()).toEqual([]);
  });

  it('push() ignores hostile frames: zero or fractional size, short data, non-finite times', () => {
    const osd = new OsdMaskLearner();
    expect(() => osd.push({ width: 0, height: 0, data: Buffer.alloc(0) }, 0)).not.toThrow();
    expect(() => osd.push({ width: 10, height: 10, data: Buffer.alloc(3) }, 0)).not.toThrow();
    expect(() => osd.push({ width: 10.5, height: 10, data: Buffer.alloc(400) }, 0)).not.toThrow();
    expect(() => osd.push({ width: 1, height: 1, data: Buffer.alloc(3) }, 0)).not.toThrow();
    expect(() => osd.push({ width: 3, height: 2000, data: Buffer.alloc(3 * 2000 * 3) }, 0)).not.toThrow();
    const f = background();
    drawText(f, '12:00:00', 480, 430);
    expect(() => osd.push(f, Number.NaN)).not.toThrow();
    expect(() => osd.push(f, Number.POSITIVE_INFINITY)).not.toThrow();
    expect(osd.zones()).toEqual([]);
  });

  it('covers() returns 0 for NaN, inverted, empty or infinite boxes and bad frame sizes', () => {
    const f = background();
    const cap = drawText(f, '508 A-5 PK', 40, 30);
    const osd = learn(() => f, 3);
    expect(osd.covers(cap, W, H)).toBeGreaterThan(0.5);
    expect(osd.covers({ x1: Number.NaN, y1: 0, x2: 10, y2: 10 }, W, H)).toBe(0);
    expect(osd.covers({ x1: 100, y1: 40, x2: 50, y2: 50 }, W, H)).toBe(0);
    expect(osd.covers({ x1: 50, y1: 40, x2: 50, y2: 50 }, W, H)).toBe(0);
    expect(osd.covers({ x1: -Infinity, y1: 0, x2: Infinity, y2: 50 }, W, H)).toBe(0);
    expect(osd.covers(cap, 0, H)).toBe(0);
    expect(osd.covers(cap, Number.NaN, H)).toBe(0);
    expect(osd.covers(null as never, W, H)).toBe(0);
  });

  it('push() with a frame of another size learns that frame afresh; covers() works in any frame size (zones are normalised)', () => {
    const big = background();
    drawText(big, '508 A-5 PK 9-6 S', 40, 30);
    const osd = learn(() => big, 3);
    const z = osd.zones();
    expect(z.length).toBeGreaterThan(0);
    // The same zone judged on a half-size frame's box.
    const cap = { x1: (z[0].x1 * W) / 2, y1: (z[0].y1 * H) / 2, x2: (z[0].x2 * W) / 2, y2: (z[0].y2 * H) / 2 };
    expect(osd.covers(cap, W / 2, H / 2)).toBeCloseTo(1, 5);
    const small = background(320, 240);
    osd.push(small, 4);
    expect(osd.zones()).toEqual([]);
    const wide = background(1280, 720);
    const clock = drawText(wide, '08:35:35', 1000, 660, 4);
    osd.push(wide, 5);
    expect(osd.covers(clock, 1280, 720)).toBeGreaterThanOrEqual(0.8);
  });

  it('NoOsdMask finds nothing', () => {
    const m = new NoOsdMask();
    m.push();
    expect(m.zones()).toEqual([]);
    expect(m.covers()).toBe(0);
  });
});
