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

describe('FramePipeline', () => {
  it('processVideoFrame() of a queue that never moves turns from density to motion basis and reads severe after 2 s', async () => {
    const p = new FramePipeline(stub(queue));
    const first = await p.processVideoFrame(frame, 0);
    expect(first.scores[0].basis).toBe('density');
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
