import { describe, expect, it } from 'vitest';
import type { Roi } from '../contracts';
import type { RgbFrame } from '../frames/rgb-frame';
import type { Detection } from '../model/detection';
import { AUTO_DETECT_DEFAULTS, AutoDetectStrategy, TRAFFIC_REGION_MARGIN, trafficRegion } from './auto-detect-strategy';
import type { DetectContext } from './detect-strategy';
import type { FrameDetector } from './frame-pipeline';

/**
 * A stub detector that sees "cars" laid out in frame coordinates. Each frame's pixels encode their own
 * coordinates (R = x mod 256, G = y mod 256, B = high bits), so the stub knows where a crop came from and
 * whether it is mirrored, as the strategy crops and mirrors frames itself. Like a small model, it finds a
 * car only when the car is large enough after letterboxing the crop to 416: ≥ 16 px scores 0.6 (counts on
 * its own), ≥ 8 px scores 0.1 (counts only chained to a strong one), smaller not at all.
 */
interface Car {
  x: number;
  y: number;
  size: number;
}

function codedFrame(width: number, height: number): RgbFrame {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      data[p] = x & 255;
      data[p + 1] = y & 255;
      data[p + 2] = (x >> 8) | ((y >> 8) << 4);
    }
  }
  return { width, height, data };
}

function decode(f: RgbFrame, x: number, y: number): { x: number; y: number } {
  const p = (y * f.width + x) * 3;
  return { x: f.data[p] | ((f.data[p + 2] & 15) << 8), y: f.data[p + 1] | ((f.data[p + 2] >> 4) << 8) };
}

class CarStub implements FrameDetector {
  calls = 0;
  crops: { x: number; y: number; width: number; height: number; mirrored: boolean }[] = [];
  constructor(public cars: Car[]) {}

  async detect(frame: RgbFrame): Promise<Detection[]> {
    this.calls++;
    const a = decode(frame, 0, 0);
    const mirrored = frame.width > 1 && decode(frame, 1, 0).x < a.x;
    const x0 = mirrored ? a.x - frame.width + 1 : a.x;
    const crop = { x: x0, y: a.y, width: frame.width, height: frame.height, mirrored };
    this.crops.push(crop);
    const scale = Math.min(416 / frame.width, 416 / frame.height);
    const out: Detection[] = [];
    for (const c of this.cars) {
      const h = c.size / 2;
      if (c.x - h < crop.x || c.y - h < crop.y || c.x + h > crop.x + crop.width || c.y + h > crop.y + crop.height) continue;
      const seen = c.size * scale;
      if (seen < 8) continue;
      let x1 = c.x - h - crop.x;
      let x2 = c.x + h - crop.x;
      if (mirrored) [x1, x2] = [crop.width - x2, crop.width - x1];
      out.push({ x1, y1: c.y - h - crop.y, x2, y2: c.y + h - crop.y, score: seen >= 16 ? 0.6 : 0.1, classId: 2, label: 'car' });
    }
    return out;
  }
}

const W = 640;
const H = 480;
const FRAME = codedFrame(W, H);
const ctx = (t: number, rois: Roi[] = []): DetectContext => ({ scoreThreshold: 0.05, rois, still: false, t });

/** A queue of 14-px cars, 18 px apart, in rows across the lower frame (9 px after letterboxing the whole frame). */
function distantQueue(): Car[] {
  const cars: Car[] = [{ x: 40, y: 400, size: 30 }];
  for (let row = 0; row < 4; row++) for (let i = 0; i < 12; i++) cars.push({ x: 80 + i * 18, y: 300 + row * 30, size: 14 });
  return cars;
}
/** Ten 60-px cars spread over the frame (a near camera). */
function nearCars(): Car[] {
  return Array.from({ length: 10 }, (_, i) => ({ x: 50 + (i % 5) * 120, y: 120 + Math.floor(i / 5) * 200, size: 60 }));
}

async function run(strategy: AutoDetectStrategy, det: FrameDetector, frames: number, rois: Roi[] = [], frame = FRAME): Promise<Detection[][]> {
  const out: Detection[][] = [];
  for (let t = 0; t < frames; t++) out.push(await strategy.detect(det, frame, ctx(t, rois)));
  return out;
}

describe('AutoDetectStrategy', () => {
  it('choice() before any frame is one pass with nothing measured', () => {
    expect(new AutoDetectStrategy().choice()).toMatchObject({ tiles: 1, region: 'frame', enhance: 'none', passes: 1, contrast: null, vehicleSize: null });
  });

  it('detect() on a near camera runs one pass a frame and never probes', async () => {
    const det = new CarStub(nearCars());
    const s = new AutoDetectStrategy();
    const out = await run(s, det, 30);
    expect(det.calls).toBe(30);
    expect(out[29]).toHaveLength(10);
    const c = s.choice();
    expect(c).toMatchObject({ tiles: 1, region: 'frame', enhance: 'none', passes: 1 });
    expect(c.vehicleSize).toBeCloseTo(60 / W, 3);
    expect(c.contrast).toBeGreaterThan(AUTO_DETECT_DEFAULTS.lowContrast);
    expect(c.reason).toMatch(/^auto: one pass: vehicles 0\.094 of the width/);
  });

  it('detect() on a distant queue probes, keeps the tiles that confirm more vehicles, and says why', async () => {
    const det = new CarStub(distantQueue());
    const s = new AutoDetectStrategy();
    const out = await run(s, det, 5);
    const c = s.choice();
    // The cheapest candidate within 10 % of the best: 2×2 tiles (the stub is blind to mirroring).
    expect(c).toMatchObject({ tiles: 2, region: 'frame', enhance: 'none', passes: 5 });
    expect(c.reason).toMatch(/confirmed vehicles: one pass 1, .*2×2 tiles over the frame 49 \(5 passes\).*2×2 tiles over the frame pays/);
    expect(out[0].length).toBeGreaterThanOrEqual(49);
    expect(out[4].length).toBeGreaterThanOrEqual(49);
    // After the probe frame, 5 passes a frame.
    const probeCalls = det.calls - 4 * 5;
    expect(probeCalls).toBeGreaterThan(5);
    expect(probeCalls).toBeLessThanOrEqual(1 + 1 + 4 + 4 + 9 + 9);
  });

  it('detect() keeps one pass without trying candidates when the single pass already confirms the scorer\'s full count', async () => {
    const cars = Array.from({ length: 25 }, (_, i) => ({ x: 40 + (i % 12) * 40, y: 300 + Math.floor(i / 12) * 40, size: 30 }));
    const det = new CarStub(cars);
    const s = new AutoDetectStrategy();
    await run(s, det, 10);
    expect(det.calls).toBe(10);
    expect(s.choice()).toMatchObject({ tiles: 1, passes: 1 });
    expect(s.choice().reason).toMatch(/one pass confirms 25 vehicles \(≥ 20, the scorer's full count\): one pass/);
  });

  it('detect() drops to one pass within a few frames when the camera zooms in, without waiting for the next probe', async () => {
    const det = new CarStub(distantQueue());
    const s = new AutoDetectStrategy({ probeEverySeconds: 30 });
    await run(s, det, 3);
    expect(s.choice().passes).toBe(5);
    det.cars = nearCars();
    const before = det.calls;
    for (let t = 3; t < 20; t++) await s.detect(det, FRAME, ctx(t));
    expect(s.choice()).toMatchObject({ tiles: 1, passes: 1 });
    expect(s.choice().reason).toMatch(/near/);
    // The smoothed vehicle size crosses the threshold within a few frames; after that one pass a frame.
    const last10 = det.calls;
    for (let t = 20; t < 30; t++) await s.detect(det, FRAME, ctx(t));
    expect(det.calls - last10).toBe(10);
    expect(det.calls - before).toBeLessThan(17 * 5);
  });

  it('detect() keeps one pass when no candidate pays (an empty distant road), probing only every probeEverySeconds', async () => {
    const det = new CarStub([]);
    const s = new AutoDetectStrategy({ probeEverySeconds: 60 });
    await run(s, det, 120);
    const c = s.choice();
    expect(c).toMatchObject({ tiles: 1, passes: 1, vehicleSize: null });
    expect(c.reason).toMatch(/none ≥ 3: one pass/);
    // Two probes (t = 0 and 60), each at most 1 + the affordable groups.
    const probe = 1 + 1 + 4 + 4 + 9 + 9;
    expect(det.calls).toBeLessThanOrEqual(120 + 2 * (probe - 1));
    expect(det.calls / 120).toBeLessThan(1.5);
  });

  it('the average cost stays within maxPasses plus the amortised probes', async () => {
    const det = new CarStub(distantQueue());
    const s = new AutoDetectStrategy({ maxPasses: 5, probeEverySeconds: 60 });
    await run(s, det, 120);
    expect(s.choice().passes).toBeLessThanOrEqual(5);
    // Probe frames never run a candidate dearer than maxPasses (no 3×3, no mirrored tiles).
    expect(det.crops.filter((c) => c.width < W / 2.5)).toHaveLength(0);
    expect(det.calls / 120).toBeLessThanOrEqual(5 + (2 * 10) / 120);
  });

  it('with ROIs the extra passes lie inside the ROIs and the ROIs alone may be the larger input', async () => {
    const roi: Roi = { id: 'lane', polygon: [[0.1, 0.6], [0.5, 0.6], [0.5, 0.9], [0.1, 0.9]] };
    const det = new CarStub(distantQueue());
    const s = new AutoDetectStrategy();
    await run(s, det, 3, [roi]);
    const c = s.choice();
    expect(c.region).toBe('rois');
    expect(c.reason).toMatch(/in the ROIs: one pass \d+, the ROIs as a larger input/);
    const extra = det.crops.filter((r) => r.width < W);
    expect(extra.length).toBeGreaterThan(0);
    for (const r of extra) {
      expect(r.x).toBeGreaterThanOrEqual(Math.floor((0.1 - 0.03) * W));
      expect(r.x + r.width).toBeLessThanOrEqual(Math.ceil((0.5 + 0.03) * W));
      expect(r.y).toBeGreaterThanOrEqual(Math.floor((0.6 - 0.03) * H));
      expect(r.y + r.height).toBeLessThanOrEqual(Math.ceil((0.9 + 0.03) * H));
    }
  });

  it('a low-contrast near scene probes a CLAHE pass only, and reports the contrast', async () => {
    const flat: RgbFrame = { width: W, height: H, data: Buffer.alloc(W * H * 3, 120) };
    const boxes: Detection[] = nearCars().map((c) => ({ x1: c.x - 30, y1: c.y - 30, x2: c.x + 30, y2: c.y + 30, score: 0.6, classId: 2, label: 'car' }));
    let calls = 0;
    const det: FrameDetector = { detect: async () => (calls++, boxes) };
    const s = new AutoDetectStrategy();
    await run(s, det, 10, [], flat);
    const c = s.choice();
    expect(c.contrast).toBe(0);
    expect(c.reason).toMatch(/contrast 0;.*a CLAHE pass 10 \(2 passes\); none ≥ 13: one pass/);
    expect(calls).toBe(10 + 1);
  });

  it('reset() and a new frame size forget what was learned', async () => {
    const det = new CarStub(distantQueue());
    const s = new AutoDetectStrategy();
    await run(s, det, 2);
    expect(s.choice().passes).toBe(5);
    s.reset();
    expect(s.choice()).toMatchObject({ passes: 1, vehicleSize: null, contrast: null });
    await run(s, det, 2);
    expect(s.choice().passes).toBe(5);
    await s.detect(det, codedFrame(320, 240), ctx(2));
    expect(s.choice().vehicleSize).not.toBeCloseTo(14 / W, 2);
  });

  it('hostile input: tiny frames, wild ROIs, non-finite times and broken boxes neither throw nor cost more than the bound', async () => {
    const s = new AutoDetectStrategy();
    const junk: Detection[] = [
      { x1: NaN, y1: 0, x2: 10, y2: 10, score: 0.9, classId: 2, label: 'car' },
      { x1: 5, y1: 5, x2: 5, y2: 5, score: 0.9, classId: 2, label: 'car' },
      { x1: 0, y1: 0, x2: Infinity, y2: 3, score: 0.9, classId: 2, label: 'truck' },
      { x1: 0, y1: 0, x2: 2, y2: 2, score: NaN, classId: 2, label: 'car' },
    ];
    let calls = 0;
    const det: FrameDetector = { detect: async () => (calls++, junk) };
    const rois: Roi[] = [{ id: 'x', polygon: [[NaN, 0], [2, -1], [Infinity, 0.5]] }, { id: 'empty', polygon: [] }];
    for (const [w, h] of [[1, 1], [2, 3], [7, 1], [640, 2]]) {
      const f: RgbFrame = { width: w, height: h, data: Buffer.alloc(w * h * 3, 7) };
      for (const t of [NaN, -5, 0, 1e12]) {
        await expect(s.detect(det, f, { scoreThreshold: 0.05, rois, still: false, t })).resolves.toBeInstanceOf(Array);
        const c = s.choice();
        expect(c.passes).toBeLessThanOrEqual(AUTO_DETECT_DEFAULTS.maxPasses);
        expect(c.contrast === null || Number.isFinite(c.contrast)).toBe(true);
      }
    }
    expect(calls).toBeLessThan(16 * 20);
    // A detector that throws rejects the frame; the strategy goes on with the next one.
    const failing: FrameDetector = { detect: async () => Promise.reject(new Error('boom')) };
    await expect(s.detect(failing, FRAME, ctx(1))).rejects.toThrow('boom');
    await expect(s.detect(new CarStub(nearCars()), FRAME, ctx(2))).resolves.toHaveLength(10);
  });
});

describe('trafficRegion() (a still without ROIs: where to tile)', () => {
  const car = (x1: number, y1: number, score = 0.8): Detection => ({ x1, y1, x2: x1 + 30, y2: y1 + 20, score, classId: 2, label: 'car' });
  const frame = { width: 640, height: 480 };

  it('is the confirmed vehicles’ box widened by the margin, clipped to the frame', () => {
    const r = trafficRegion([car(100, 300), car(200, 400)], frame)!;
    const mx = TRAFFIC_REGION_MARGIN * 640;
    const my = TRAFFIC_REGION_MARGIN * 480;
    expect(r).toEqual({ x: Math.floor(100 - mx), y: Math.floor(300 - my), width: Math.ceil(230 + mx) - Math.floor(100 - mx), height: Math.ceil(420 + my) - Math.floor(300 - my) });
  });

  it('is null (the whole frame) with fewer than two vehicles, when it would cover nearly all of it, or for boxes that are not numbers', () => {
    expect(trafficRegion([car(100, 300)], frame)).toBeNull();
    expect(trafficRegion([car(0, 60), car(610, 460)], frame)).toBeNull();
    expect(trafficRegion([{ ...car(100, 300), x1: Number.NaN }, car(200, 400)], frame)).toBeNull();
  });

  it('leaves out boxes lying wholly in the top band (captions, logos boxed as vehicles)', () => {
    const r = trafficRegion([car(300, 5), car(100, 300), car(200, 400)], frame)!;
    expect(r.y).toBeGreaterThan(200);
  });
});
