import { describe, expect, it } from 'vitest';
import { EventWindows, MAX_EVENT_WINDOWS, mergeRanges } from './event-windows';

describe('event windows', () => {
  it('an event at t keeps [t − pre, t + post]; overlapping windows merge', () => {
    const w = new EventWindows(10_000, 30_000);
    w.add(100_000);
    w.add(120_000);
    w.add(500_000);
    expect(w.list).toEqual([{ start: 90_000, end: 150_000 }, { start: 490_000, end: 530_000 }]);
    expect(w.keeps({ start: 80_000, end: 90_001 })).toBe(true);
    expect(w.keeps({ start: 80_000, end: 90_000 })).toBe(false);
    expect(w.keeps({ start: 150_000, end: 160_000 })).toBe(false);
  });

  it('drops() only what no future event can reach (older than now − pre) and no window keeps', () => {
    const w = new EventWindows(10_000, 30_000);
    const seg = { start: 0, end: 10_000 };
    expect(w.drops(seg, 15_000)).toBe(false); // an event now would reach back to 5 000
    expect(w.drops(seg, 20_001)).toBe(true);
    w.add(12_000);
    expect(w.drops(seg, 60_000)).toBe(false);
    w.prune(50_000);
    expect(w.list).toEqual([]);
  });

  it('keeps at most MAX_EVENT_WINDOWS windows (the oldest go)', () => {
    const w = new EventWindows(0, 1);
    for (let i = 0; i < MAX_EVENT_WINDOWS + 5; i++) w.add(i * 10);
    expect(w.list.length).toBe(MAX_EVENT_WINDOWS);
    expect(w.list[0]!.start).toBe(50);
  });

  it('mergeRanges() sorts and joins ranges within the tolerance', () => {
    expect(mergeRanges([{ start: 20, end: 30 }, { start: 0, end: 10 }, { start: 10.5, end: 12 }], 1)).toEqual([{ start: 0, end: 12 }, { start: 20, end: 30 }]);
    expect(mergeRanges([])).toEqual([]);
  });
});
