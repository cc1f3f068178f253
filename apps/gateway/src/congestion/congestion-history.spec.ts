import { describe, expect, it } from 'vitest';
import type { CongestionScore } from '@gb/contracts';
import { congestionLevelOf as levelOfIndex } from '@gb/contracts';
import { downsampleHistory, effectiveStep, MAX_HISTORY_POINTS, SampleAccumulator } from './congestion-history';

const T0 = Date.parse('2026-03-01T08:00:00Z');
const sample = (roiId: string, sec: number, index: number, samples = 5) => ({ roiId, t: new Date(T0 + sec * 1000), index, maxIndex: index + 5, vehicles: index / 10, samples });
const score = (roi: string, index: number): CongestionScore => ({
  roi, t: 0, index, level: levelOfIndex(index), vehicles: 4, persons: 1, occupancy: 0, spacing: null, stationaryShare: null, meanSpeed: null, speedUnit: null, personsPerM2: null, crowdLevel: null, basis: 'motion',
});

describe('downsampleHistory()', () => {
  it('with 5 s samples and a 60 s step gives one point per minute and ROI: weighted mean index, max index, level of the mean', () => {
    const rows = [
      ...Array.from({ length: 12 }, (_, i) => sample('a', i * 5, 10)),
      ...Array.from({ length: 12 }, (_, i) => sample('a', 60 + i * 5, i < 6 ? 50 : 90)),
      sample('b', 10, 30),
    ];
    const pts = downsampleHistory(rows, T0, T0 + 120_000, 60_000);
    expect(pts.map((p) => [p.roi, p.t, p.index, p.maxIndex, p.level, p.samples])).toEqual([
      ['a', '2026-03-01T08:00:00.000Z', 10, 15, 'free', 60],
      ['a', '2026-03-01T08:01:00.000Z', 70, 95, 'heavy', 60],
      ['b', '2026-03-01T08:00:00.000Z', 30, 35, 'light', 5],
    ]);
  });

  it('leaves empty buckets out and ignores samples outside from–to', () => {
    const pts = downsampleHistory([sample('a', -5, 99), sample('a', 0, 10), sample('a', 200, 20), sample('a', 400, 99)], T0, T0 + 300_000, 60_000);
    expect(pts.map((p) => p.t)).toEqual(['2026-03-01T08:00:00.000Z', '2026-03-01T08:03:00.000Z']);
  });

  it('raises a step too fine for the range so that a day never exceeds MAX_HISTORY_POINTS points per ROI', () => {
    const day = 86_400_000;
    expect(effectiveStep(T0, T0 + day, 1000)).toBeGreaterThanOrEqual(day / MAX_HISTORY_POINTS);
    const rows = Array.from({ length: 17_280 }, (_, i) => sample('a', i * 5, i % 100));
    expect(downsampleHistory(rows, T0, T0 + day, 1000).length).toBeLessThanOrEqual(MAX_HISTORY_POINTS);
  });
});

describe('SampleAccumulator', () => {
  it('folds scores into one sample per ROI per period and emits a period when a later score closes it', () => {
    const acc = new SampleAccumulator(5000);
    expect(acc.add('c', score('a', 10), T0 + 100)).toEqual([]);
    expect(acc.add('c', score('a', 30), T0 + 4900)).toEqual([]);
    const closed = acc.add('c', score('a', 80), T0 + 5000);
    expect(closed).toEqual([{ channelId: 'c', roiId: 'a', t: new Date(T0), index: 20, maxIndex: 30, level: 'light', vehicles: 4, persons: 1, samples: 2 }]);
    expect(acc.flush('other')).toEqual([]);
    expect(acc.flush('c').map((s) => [s.t.getTime() - T0, s.index, s.samples])).toEqual([[5000, 80, 1]]);
    expect(acc.flush()).toEqual([]);
  });
});
