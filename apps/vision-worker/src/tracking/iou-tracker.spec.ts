import { describe, expect, it } from 'vitest';
import type { Detection } from '../model/detection';
import { IouTracker } from './iou-tracker';

const car = (x: number, y: number, score = 0.9, w = 40, h = 30): Detection => ({ x1: x, y1: y, x2: x + w, y2: y + h, score, classId: 2, label: 'car' });

describe('IouTracker', () => {
  it('update() keeps one id for a car moving 4 px per frame and measures its speed in px/s', () => {
    const tr = new IouTracker({ speedSmoothing: 1 });
    const ids = [0, 1, 2, 3].map((i) => tr.update([car(100 + 4 * i, 50)], i * 0.1)[0].id);
    expect(new Set(ids).size).toBe(1);
    expect(tr.all()[0].speedPxPerS).toBeCloseTo(40, 6);
  });

  it('update() starts a new track for a high-score box that overlaps no track', () => {
    const tr = new IouTracker();
    tr.update([car(0, 0)], 0);
    const m = tr.update([car(0, 0), car(300, 300)], 0.1);
    expect(m.map((t) => t.id).sort()).toEqual([1, 2]);
  });

  it('update() extends a track with a low-score box but never starts one from it (ByteTrack low pass)', () => {
    const tr = new IouTracker({ highScore: 0.5, lowScore: 0.1 });
    tr.update([car(0, 0, 0.9)], 0);
    const m = tr.update([car(2, 0, 0.2), car(300, 300, 0.2)], 0.1);
    expect(m).toHaveLength(1);
    expect(m[0].id).toBe(1);
    expect(tr.all()).toHaveLength(1);
  });

  it('update() drops a track unmatched for longer than maxLostSeconds and keeps it before that', () => {
    const tr = new IouTracker({ maxLostSeconds: 1 });
    tr.update([car(0, 0)], 0);
    tr.update([], 0.9);
    expect(tr.all()).toHaveLength(1);
    tr.update([], 1.2);
    expect(tr.all()).toHaveLength(0);
  });

  it('update() never associates a person with a car track', () => {
    const tr = new IouTracker();
    tr.update([car(0, 0)], 0);
    const m = tr.update([{ ...car(0, 0), label: 'person', classId: 0 }], 0.1);
    expect(m[0].id).toBe(2);
  });

  it('update() flags a car stationary after it jitters within a quarter box for 2 s, not before', () => {
    const tr = new IouTracker({ stationarySeconds: 2 });
    let last;
    for (let i = 0; i <= 10; i++) {
      last = tr.update([car(100 + (i % 2) * 3, 50)], i * 0.2)[0];
      if (i * 0.2 < 2 - 1e-9) expect(last.stationary).toBe(false);
    }
    expect(last!.stationary).toBe(true);
  });

  it('update() clears the stationary flag once the car drives off', () => {
    const tr = new IouTracker({ stationarySeconds: 1 });
    for (let i = 0; i <= 6; i++) tr.update([car(100, 50)], i * 0.2);
    expect(tr.all()[0].stationary).toBe(true);
    const m = tr.update([car(115, 50)], 1.4);
    expect(m[0].id).toBe(1);
    expect(m[0].stationary).toBe(false);
  });
});

describe('IouTracker confirmed detections', () => {
  it('a low-score detection in the confirmed set starts a track; the same detection unconfirmed does not', async () => {
    const { IouTracker } = await import('./iou-tracker');
    const weak = { x1: 0, y1: 0, x2: 20, y2: 20, score: 0.08, classId: 2, label: 'car' as const };
    expect(new IouTracker({ highScore: 0.35, lowScore: 0.05 }).update([weak], 0)).toHaveLength(0);
    expect(new IouTracker({ highScore: 0.35, lowScore: 0.05 }).update([weak], 0, new Set([weak]))).toHaveLength(1);
  });
});
