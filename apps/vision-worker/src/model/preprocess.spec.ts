import { describe, expect, it } from 'vitest';
import { LETTERBOX_PAD_VALUE, letterbox, unletterboxBox } from './preprocess';

function solid(width: number, height: number, rgb: [number, number, number]) {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { width, height, data };
}

describe('letterbox', () => {
  it('letterbox() of a 640×480 frame scales by 0.65 to 416×312, picture top-left, pad 114 below', () => {
    const lb = letterbox(solid(640, 480, [10, 20, 30]), 416);
    expect(lb.scale).toBeCloseTo(0.65, 6);
    expect([lb.resizedWidth, lb.resizedHeight]).toEqual([416, 312]);
    const plane = 416 * 416;
    // BGR planes: B = 30, G = 20, R = 10 inside the picture.
    expect(lb.tensor[0]).toBeCloseTo(30, 4);
    expect(lb.tensor[plane]).toBeCloseTo(20, 4);
    expect(lb.tensor[2 * plane]).toBeCloseTo(10, 4);
    expect(lb.tensor[311 * 416 + 415]).toBeCloseTo(30, 4);
    expect(lb.tensor[312 * 416]).toBe(LETTERBOX_PAD_VALUE);
    expect(lb.tensor[2 * plane + 415 * 416 + 415]).toBe(LETTERBOX_PAD_VALUE);
  });

  it('letterbox() of a portrait 240×480 frame pads on the right, not below', () => {
    const lb = letterbox(solid(240, 480, [0, 0, 0]), 416);
    expect([lb.resizedWidth, lb.resizedHeight]).toEqual([208, 416]);
    expect(lb.tensor[415 * 416 + 207]).toBe(0);
    expect(lb.tensor[415 * 416 + 208]).toBe(LETTERBOX_PAD_VALUE);
  });

  it('letterbox() keeps a left/right split at the scaled column (bilinear blends one column)', () => {
    const f = solid(832, 416, [0, 0, 0]);
    for (let y = 0; y < 416; y++) for (let x = 416; x < 832; x++) f.data.set([200, 200, 200], (y * 832 + x) * 3);
    const lb = letterbox(f, 416);
    expect(lb.scale).toBe(0.5);
    const row = 100 * 416;
    expect(lb.tensor[row + 206]).toBe(0);
    expect(lb.tensor[row + 209]).toBe(200);
  });

  it('unletterboxBox() maps model pixels back to frame pixels through scale and crop offset, clipped', () => {
    const box = unletterboxBox({ x1: 65, y1: 13, x2: 130, y2: 500 }, { scale: 0.65, offsetX: 100, offsetY: 50 }, { width: 640, height: 480 });
    expect(box.x1).toBeCloseTo(200, 6);
    expect(box.y1).toBeCloseTo(70, 6);
    expect(box.x2).toBeCloseTo(300, 6);
    expect(box.y2).toBe(530);
  });

  it('letterbox() of a crop reads only the crop', () => {
    const f = solid(100, 100, [255, 255, 255]);
    for (let y = 50; y < 100; y++) for (let x = 50; x < 100; x++) f.data.set([0, 0, 0], (y * 100 + x) * 3);
    const lb = letterbox(f, 416, { x: 50, y: 50, width: 50, height: 50 });
    expect([lb.offsetX, lb.offsetY, lb.resizedWidth]).toEqual([50, 50, 416]);
    expect(lb.tensor.subarray(0, 416 * 416).reduce((m, v) => Math.max(m, v), 0)).toBe(0);
  });
});
