import { describe, expect, it } from 'vitest';
import type { RgbFrame } from '../frames/rgb-frame';
import type { Detection } from '../model/detection';
import { coversFrame, cropFrame, mirrorFrame, passCount, roiRegion, runPasses } from './detect-passes';
import type { FrameDetector } from './frame-pipeline';

const W = 64;
const H = 48;
/** A frame whose pixel (x, y) holds R = x, G = y: a crop or a mirror shows in its first pixel. */
const FRAME: RgbFrame = (() => {
  const data = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data.set([x, y, 0], (y * W + x) * 3);
  return { width: W, height: H, data };
})();

/** Finds one 10×10 "car" at frame (30..40, 20..30) in whatever crop or mirror it is handed, in that picture's pixels. */
const oneCar: FrameDetector = {
  detect: async (f) => {
    const x0 = f.data[0];
    const y0 = f.data[1];
    const mirrored = f.width > 1 && f.data[3] < x0;
    const left = mirrored ? x0 - f.width + 1 : x0;
    let x1 = 30 - left;
    let x2 = 40 - left;
    const y1 = 20 - y0;
    const y2 = 30 - y0;
    if (x1 < 0 || y1 < 0 || x2 > f.width || y2 > f.height) return [];
    if (mirrored) [x1, x2] = [f.width - x2, f.width - x1];
    return [{ x1, y1, x2, y2, score: 0.5, classId: 2, label: 'car' } satisfies Detection];
  },
};

describe('detect passes', () => {
  it('cropFrame() copies the rows of the crop; the whole frame is returned as it is', () => {
    const c = cropFrame(FRAME, { x: 10, y: 5, width: 4, height: 3 });
    expect([c.width, c.height, c.data[0], c.data[1]]).toEqual([4, 3, 10, 5]);
    expect(c.data[(2 * 4 + 3) * 3]).toBe(13);
    expect(cropFrame(FRAME, { x: 0, y: 0, width: W, height: H })).toBe(FRAME);
  });

  it('mirrorFrame() reverses every row', () => {
    const m = mirrorFrame(FRAME);
    expect([m.data[0], m.data[(W - 1) * 3], m.data[(5 * W) * 3 + 1]]).toEqual([W - 1, 0, 5]);
  });

  it('runPasses() maps boxes of crops and mirrored passes back to frame pixels and merges the copies into one', async () => {
    const plan = { plain: [{ x: 0, y: 0, width: W, height: H }, { x: 20, y: 10, width: 30, height: 30 }], enhanced: [], mirrored: [{ x: 0, y: 0, width: W, height: H }, { x: 24, y: 12, width: 24, height: 24 }] };
    expect(passCount(plan)).toBe(4);
    const found = await runPasses(oneCar, FRAME, plan, 0.05);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ x1: 30, y1: 20, x2: 40, y2: 30 });
    const each = await Promise.all(
      [{ plain: [{ x: 20, y: 10, width: 30, height: 30 }], enhanced: [] }, { plain: [], enhanced: [], mirrored: [{ x: 24, y: 12, width: 24, height: 24 }] }].map((p) => runPasses(oneCar, FRAME, p, 0.05)),
    );
    for (const f of each) expect(f[0]).toMatchObject({ x1: 30, y1: 20, x2: 40, y2: 30 });
  });

  it('runPasses() leaves out a box cut by an inner edge of a crop (the whole-frame pass has it whole)', async () => {
    // The car's left edge lies on the crop's left edge, which is inside the frame.
    const cut = await runPasses(oneCar, FRAME, { plain: [{ x: 30, y: 10, width: 30, height: 30 }], enhanced: [] }, 0.05);
    expect(cut).toEqual([]);
  });

  it('roiRegion() is the ROIs\' box with a 3 % margin, clipped; the whole frame without ROIs or with broken ones', () => {
    expect(roiRegion([{ id: 'a', polygon: [[0.5, 0.5], [0.75, 0.5], [0.75, 1]] }], 100, 100)).toEqual({ x: 47, y: 47, width: 31, height: 53 });
    expect(roiRegion([], 100, 80)).toEqual({ x: 0, y: 0, width: 100, height: 80 });
    expect(roiRegion([{ id: 'n', polygon: [[NaN, 0], [Infinity, 1], [0.5, 0.5]] }], 100, 80)).toEqual({ x: 0, y: 0, width: 100, height: 80 });
    expect(coversFrame({ x: 0, y: 0, width: 96, height: 96 }, 100, 100)).toBe(true);
    expect(coversFrame({ x: 0, y: 0, width: 90, height: 90 }, 100, 100)).toBe(false);
  });
});
