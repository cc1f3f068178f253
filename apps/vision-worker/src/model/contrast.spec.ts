import { describe, expect, it } from 'vitest';
import type { RgbFrame } from '../frames/rgb-frame';
import { claheFrame, rmsContrast } from './contrast';

function frame(width: number, height: number, px: (x: number, y: number) => number): RgbFrame {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.fill(px(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { width, height, data };
}

describe('rmsContrast()', () => {
  it('is 0 on a flat picture, 0.5 on half black half white, and reads only the given rectangle', () => {
    expect(rmsContrast(frame(64, 48, () => 128))).toBeCloseTo(0, 6);
    const half = frame(64, 48, (x) => (x < 32 ? 0 : 255));
    expect(rmsContrast(half)).toBeCloseTo(0.5, 3);
    expect(rmsContrast(half, { x: 0, y: 0, width: 32, height: 48 })).toBeCloseTo(0, 6);
    expect(rmsContrast(half, { x: 100, y: 100, width: 5, height: 5 })).toBe(0);
  });
});

describe('claheFrame()', () => {
  it('raises the local contrast of a hazy (low-amplitude) texture, keeps the size and leaves the input untouched', () => {
    const hazy = frame(160, 120, (x, y) => ((x >> 2) + (y >> 2)) % 2 ? 130 : 115);
    const copy = Buffer.from(hazy.data);
    const out = claheFrame(hazy);
    expect(out).toMatchObject({ width: 160, height: 120 });
    expect(out.data.length).toBe(hazy.data.length);
    expect(rmsContrast(out)).toBeGreaterThan(1.1 * rmsContrast(hazy));
    expect(hazy.data.equals(copy)).toBe(true);
  });

  it('keeps a flat picture flat and survives 1×1 and 3×1 frames', () => {
    const flat = claheFrame(frame(64, 64, () => 90));
    expect(new Set(flat.data).size).toBe(1);
    expect(claheFrame(frame(1, 1, () => 5)).data).toHaveLength(3);
    expect(claheFrame(frame(3, 1, (x) => x * 100)).data).toHaveLength(9);
  });
});
