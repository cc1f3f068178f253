import { describe, it, expect } from 'vitest';
import { MIN_VIEW_S, TimelineScale, dayBounds, localDay } from '../../web/src/timeline/timeline-scale';

/** The playback timeline's time axis (web/src/timeline/timeline-scale.ts), run in Node. */

const DAY = 86_400;

describe('TimelineScale', () => {
  it('timeAt() and xOf() map the whole day onto the bar width and back', () => {
    const s = new TimelineScale(1000, 1000 + DAY);
    expect(s.timeAt(0, 1440)).toBe(1000);
    expect(s.timeAt(720, 1440)).toBe(1000 + DAY / 2);
    expect(s.timeAt(2000, 1440)).toBe(1000 + DAY); // clamped to the bar
    expect(s.xOf(1000 + DAY / 4, 1440)).toBe(360);
    expect(s.resolution(1440)).toBe(60);
  });

  it('zoom() keeps the anchor time at the same place on the bar, stops at MIN_VIEW_S and never leaves the day', () => {
    const s = new TimelineScale(0, DAY);
    const anchor = DAY * 0.25;
    const ratio = (anchor - s.window.from) / s.span;
    s.zoom(0.5, anchor);
    expect(s.span).toBe(DAY / 2);
    expect((anchor - s.window.from) / s.span).toBeCloseTo(ratio, 9);
    for (let i = 0; i < 40; i++) s.zoom(0.5, anchor);
    expect(s.span).toBe(MIN_VIEW_S);
    for (let i = 0; i < 40; i++) s.zoom(2, 10);
    expect(s.window).toEqual({ from: 0, to: DAY });
  });

  it('pan() moves the window and clamps it to the day', () => {
    const s = new TimelineScale(0, DAY);
    s.zoom(1 / 24, 0);
    expect(s.window).toEqual({ from: 0, to: 3600 });
    s.pan(1800);
    expect(s.window).toEqual({ from: 1800, to: 5400 });
    s.pan(-10 * DAY);
    expect(s.window.from).toBe(0);
    s.pan(10 * DAY);
    expect(s.window.to).toBe(DAY);
  });

  it('ticks() fall on whole steps from midnight with at least 70 px between them', () => {
    const s = new TimelineScale(0, DAY);
    expect(s.ticks(1440)).toMatchObject({ step: 7200 });
    expect(s.ticks(1440).times[0]).toBe(0);
    s.zoom(600 / DAY, 4000);
    const { step, times } = s.ticks(1440);
    expect((step / s.span) * 1440).toBeGreaterThanOrEqual(70);
    expect(times.every((t) => t % step === 0 && t >= s.window.from && t <= s.window.to)).toBe(true);
  });
});

describe('dayBounds()', () => {
  it('gives local midnight to the next local midnight of a YYYY-MM-DD day, and null for anything else', () => {
    const b = dayBounds('2024-03-05')!;
    expect(b.from).toBe(new Date(2024, 2, 5).getTime() / 1000);
    expect(b.to).toBe(new Date(2024, 2, 6).getTime() / 1000);
    expect(localDay(b.from * 1000)).toBe('2024-03-05');
    for (const bad of ['', '2024-3-5', 'today', '2024-03-05T00:00']) expect(dayBounds(bad), bad).toBeNull();
  });
});
