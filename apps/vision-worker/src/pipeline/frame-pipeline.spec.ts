import { describe, expect, it } from 'vitest';
import type { RgbFrame } from '../frames/rgb-frame';
import type { Detection } from '../model/detection';
import { FramePipeline, type FrameDetector } from './frame-pipeline';

const frame: RgbFrame = { width: 640, height: 480, data: Buffer.alloc(640 * 480 * 3) };
/** Stub detector: the same queue of 12 large cars every frame, recording the options it was called with. */
function stub(dets: Detection[]): FrameDetector & { calls: unknown[] } {
  const calls: unknown[] = [];
  return { calls, detect: async (_f, o) => (calls.push(o), dets.map((d) => ({ ...d }))) };
}
const queue: Detection[] = Array.from({ length: 12 }, (_, i) => ({
  x1: (i % 4) * 160, y1: Math.floor(i / 4) * 160, x2: (i % 4) * 160 + 158, y2: Math.floor(i / 4) * 160 + 150, score: 0.8, classId: 2, label: 'car',
}));

/** A frame whose pixels are a fixed pattern with a moving bright block (so thumbnails see change outside the boxes). */
function patterned(t: number): RgbFrame {
  const data = Buffer.alloc(640 * 480 * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31) % 251;
  const bx = Math.floor(t * 40) % 500;
  for (let y = 400; y < 470; y++) for (let x = bx; x < bx + 60; x++) data.fill(255, (y * 640 + x) * 3, (y * 640 + x) * 3 + 3);
  return { width: 640, height: 480, data };
}
const box = (x1: number, y1: number, x2: number, y2: number, label: Detection['label'] = 'bus'): Detection => ({ x1, y1, x2, y2, score: 0.6, classId: label === 'bus' ? 5 : 2, label });

describe('FramePipeline: fixtures, lone statics, exclusions', () => {
  it('a lone box that never moves is not a stopped vehicle (a sign), and after learnSeconds it is a fixture left out of the count', async () => {
    const sign = box(300, 80, 360, 130);
    const p = new FramePipeline(stub([sign]), { fixtures: { learnSeconds: 20 } });
    const early = [];
    for (let t = 0; t < 20; t++) early.push(await p.processVideoFrame(patterned(t), t));
    for (const r of early) expect(r.scores[0]).toMatchObject({ level: 'free', vehicles: 1 });
    expect(early.at(-1)!.scores[0].stationaryShare).toBeNull();
    const late = await p.processVideoFrame(patterned(21), 21);
    expect(late.scores[0]).toMatchObject({ level: 'free', vehicles: 0 });
    expect(late.ignored).toEqual([expect.objectContaining({ ignored: 'fixture', label: 'bus' })]);
    expect(late.scene.fixtures).toEqual([{ x1: 0.4688, y1: 0.1667, x2: 0.5625, y2: 0.2708 }]);
    p.resetScene();
    expect((await p.processVideoFrame(patterned(22), 22)).ignored).toEqual([]);
  });

  it('three or more stopped boxes chained as a queue count as stopped from the start', async () => {
    const cars = [0, 1, 2, 3].map((i) => box(100 + i * 70, 300, 160 + i * 70, 345, 'car'));
    const p = new FramePipeline(stub(cars), { fixtures: false });
    let r;
    for (let t = 0; t <= 4; t += 0.5) r = await p.processVideoFrame(patterned(t), t);
    expect(r!.scores[0].stationaryShare).toBe(1);
  });

  it('detections whose centre lies in an exclusion zone are left out and reported as ignored', async () => {
    const cars = [box(10, 10, 60, 50, 'car'), box(400, 300, 460, 340, 'car')];
    const p = new FramePipeline(stub(cars), { exclusions: [{ id: 'billboard', polygon: [[0, 0], [0.2, 0], [0.2, 0.2], [0, 0.2]] }] });
    const r = await p.processVideoFrame(patterned(0), 0);
    expect(r.scores[0].vehicles).toBe(1);
    expect(r.ignored).toEqual([expect.objectContaining({ ignored: 'exclusion', x1: 10 })]);
    const s = await p.processStill(patterned(0));
    expect(s.scores[0].vehicles).toBe(1);
  });
});

describe('FramePipeline', () => {
  it('processVideoFrame() of a queue that never moves reads only its flowing share until motion is known, severe after 2 s', async () => {
    const p = new FramePipeline(stub(queue));
    const first = await p.processVideoFrame(frame, 0);
    // Nothing is known to be stopped in the first frame of a video: at most MOVING_WEIGHT of the density.
    expect(first.scores[0]).toMatchObject({ basis: 'motion', stationaryShare: null });
    expect(first.scores[0].index).toBeLessThanOrEqual(20);
    let last = first;
    for (let i = 1; i <= 12; i++) last = await p.processVideoFrame(frame, i * 0.2);
    expect(last.tracks.map((t) => t.id)).toEqual(first.tracks.map((t) => t.id));
    expect(last.scores[0]).toMatchObject({ basis: 'motion', stationaryShare: 1, level: 'severe', vehicles: 12 });
  });

  it('processStill() asks for tiles and a still threshold and never tracks', async () => {
    const d = stub(queue);
    const p = new FramePipeline(d, { stillTiles: 2 });
    const r = await p.processStill(frame);
    expect(d.calls[0]).toEqual({ scoreThreshold: 0.05, tiles: 2 });
    expect(r.tracks).toEqual([]);
    expect(r.scores[0].stationaryShare).toBeNull();
  });

  it('processVideoFrame() after a frame-size change rescales ROIs and keeps scoring', async () => {
    const p = new FramePipeline(stub([]), { rois: [{ id: 'a', polygon: [[0, 0], [1, 0], [0, 1]] }] });
    await p.processVideoFrame(frame, 0);
    const r = await p.processVideoFrame({ width: 320, height: 240, data: Buffer.alloc(320 * 240 * 3) }, 0.2);
    expect(r.scores).toEqual([expect.objectContaining({ roi: 'a', index: 0, level: 'free' })]);
  });
});
