import { describe, expect, it } from 'vitest';
import type { RgbFrame } from '../frames/rgb-frame';
import { MAX_THUMBS, PixelMotion } from './pixel-motion';

/** A 320×240 grey frame with a dark 40×30 "car" at (x, y). */
function scene(x: number, y: number, noise = 0): RgbFrame {
  const data = Buffer.alloc(320 * 240 * 3, 150);
  for (let i = 0; i < data.length; i++) data[i] = 150 + (noise ? Math.round((Math.sin(i * 12.9898) * 43758.5453) % 1 * noise) : 0);
  for (let yy = y; yy < y + 30; yy++) for (let xx = x; xx < x + 40; xx++) data.fill(30 + ((xx * 7 + yy * 3) % 40), (yy * 320 + xx) * 3, (yy * 320 + xx) * 3 + 3);
  return { width: 320, height: 240, data };
}
const box = (x: number, y: number) => ({ x1: x, y1: y, x2: x + 40, y2: y + 30 });

describe('PixelMotion', () => {
  it('has no judgement before a reference frame at least 0.8 s old exists', () => {
    const m = new PixelMotion();
    m.push(scene(100, 100), 0);
    expect(m.isStatic(box(100, 100))).toBeNull();
    m.push(scene(100, 100), 0.5);
    expect(m.isStatic(box(100, 100))).toBeNull();
    m.push(scene(100, 100), 1);
    expect(m.isStatic(box(100, 100))).toBe(true);
  });

  it('a car that stays put (with sensor noise) is static; one that moved half its length since 1 s ago is not', () => {
    const m = new PixelMotion();
    m.push(scene(100, 100, 6), 0);
    m.push(scene(100, 100, 6), 1);
    expect(m.isStatic(box(100, 100))).toBe(true);
    const n = new PixelMotion();
    n.push(scene(100, 100), 0);
    n.push(scene(120, 100), 1);
    expect(n.isStatic(box(120, 100))).toBe(false);
  });

  it('a reference older than maxAgeSeconds is dropped (a gap in the stream), and a frame-size change starts over', () => {
    const m = new PixelMotion();
    m.push(scene(100, 100), 0);
    m.push(scene(100, 100), 5);
    expect(m.isStatic(box(100, 100))).toBeNull();
    m.push({ width: 160, height: 120, data: Buffer.alloc(160 * 120 * 3, 150) }, 6);
    expect(m.isStatic(box(10, 10))).toBeNull();
  });

  it('degenerate or outside boxes give null, never throw; the thumbnail ring is bounded', () => {
    const m = new PixelMotion();
    for (let i = 0; i < MAX_THUMBS * 2; i++) m.push(scene(0, 0), i * 0.01);
    m.push(scene(0, 0), MAX_THUMBS * 0.02 + 1);
    expect(m.isStatic({ x1: 10, y1: 10, x2: 10, y2: 40 })).toBeNull();
    expect(m.isStatic({ x1: 900, y1: 900, x2: 950, y2: 950 })).toBeNull();
    expect(m.isStatic({ x1: Number.NaN, y1: 0, x2: 5, y2: 5 })).toBeNull();
    expect((m as unknown as { thumbs: unknown[] }).thumbs.length).toBeLessThanOrEqual(MAX_THUMBS);
  });
  it('the thumbnail of a 1280×720 or 640×360 frame read four pixels at a time is the pixel-by-pixel one, saturated white included', () => {
    for (const [w, h] of [[1280, 720], [640, 360]]) {
      for (const fill of ['noise', 'white']) {
        // The same pixels at a word-aligned offset (four-pixel path) and one byte off (pixel-by-pixel loop).
        const store = Buffer.alloc(w * h * 3 + 4);
        const bytes = store.subarray(4);
        for (let i = 0; i < bytes.length; i++) bytes[i] = fill === 'white' ? 255 : (Math.imul(i, 2654435761) >>> 24) ^ (i >> 9);
        const odd = Buffer.alloc(w * h * 3 + 1).subarray(1);
        bytes.copy(odd);
        expect(bytes.byteOffset % 4).toBe(0);
        expect(odd.byteOffset % 4).not.toBe(0);
        const [a, b] = [new PixelMotion(), new PixelMotion()];
        a.push({ width: w, height: h, data: bytes }, 0);
        b.push({ width: w, height: h, data: odd }, 0);
        const [ta, tb] = [a.currentThumb()!, b.currentThumb()!];
        expect([ta.width, ta.height]).toEqual([160, 90]);
        expect(Buffer.from(ta.grey).equals(Buffer.from(tb.grey)), `${w}×${h} ${fill}`).toBe(true);
        if (fill === 'white') expect(ta.grey.every((v) => v === 255)).toBe(true);
      }
    }
  });
});
