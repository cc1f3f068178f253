import { describe, expect, it } from 'vitest';
import { SampleClock } from './sample-clock';
import { TIMESTAMP_WRAP_90K } from './timestamps';

/** 20 ms of G.711 at 8 kHz: 160 samples, 1800 ticks. */
const N = 160;
const STEP = 1800;

describe('SampleClock', () => {
  it('times samples of on-time units from the first timestamp, 11.25 ticks per 8 kHz sample', () => {
    const c = new SampleClock({ sampleRate: 8000 });
    for (let i = 0; i < 5; i++) expect(c.push(1000 + i * STEP, N)).toEqual({ fill: 0 });
    expect(c.ptsAt(0)).toBe(1000);
    expect(c.ptsAt(N * 3)).toBe(1000 + 3 * STEP);
    expect(c.ptsAt(800)).toBe(1000 + 9000);
  });

  it('a unit whose timestamp jitters within 10 ms is taken as on time; one without a timestamp follows the previous one', () => {
    const c = new SampleClock({ sampleRate: 8000 });
    c.push(0, N);
    expect(c.push(STEP + 500, N)).toEqual({ fill: 0 });
    expect(c.push(undefined, N)).toEqual({ fill: 0 });
    expect(c.samples).toBe(3 * N);
    expect(c.ptsAt(2 * N)).toBe(2 * STEP);
  });

  it('a gap up to 1 s (lost packets) is filled with that many silent samples, keeping later samples on their timestamps', () => {
    const c = new SampleClock({ sampleRate: 8000 });
    c.push(0, N);
    // two units (40 ms) lost
    expect(c.push(3 * STEP, N)).toEqual({ fill: 2 * N });
    expect(c.ptsAt(3 * N)).toBe(3 * STEP);
    expect(c.filledSamples).toBe(2 * N);
  });

  it('a jump back or a gap beyond 1 s re-anchors: samples after it carry the new timestamps, earlier ones keep theirs', () => {
    const c = new SampleClock({ sampleRate: 8000 });
    c.push(90_000, N);
    c.push(90_000 + STEP, N);
    expect(c.push(5000, N)).toEqual({ fill: 0 }); // camera audio clock restarted
    expect(c.ptsAt(N)).toBe(90_000 + STEP);
    expect(c.ptsAt(2 * N)).toBe(5000);
    expect(c.push(5000 + STEP + 5 * 90_000, N)).toEqual({ fill: 0 }); // 5 s later
    expect(c.ptsAt(3 * N + 10)).toBe(5000 + STEP + 5 * 90_000 + Math.round(10 * 11.25));
    expect(c.reanchors).toBe(2);
  });

  it('runs straight across the 33-bit wrap of the camera clock', () => {
    const c = new SampleClock({ sampleRate: 8000 });
    const start = TIMESTAMP_WRAP_90K - STEP;
    expect(c.push(start, N)).toEqual({ fill: 0 });
    expect(c.push(0, N)).toEqual({ fill: 0 });
    expect(c.push(STEP, N)).toEqual({ fill: 0 });
    expect(c.ptsAt(N)).toBe(0);
    expect(c.ptsAt(2 * N + 8)).toBe(STEP + 90);
  });

  it('prune() forgets anchors before an index; before the first timestamp nothing is timed', () => {
    const c = new SampleClock({ sampleRate: 8000 });
    expect(c.ptsAt(0)).toBeNull();
    expect(c.push(undefined, N)).toBeNull();
    expect(c.samples).toBe(0);
    c.push(100, N);
    c.push(100 + STEP, N);
    c.push(50_000_000, N);
    c.prune(3 * N);
    expect(c.ptsAt(N)).toBeNull();
    expect(c.ptsAt(2 * N)).toBe(50_000_000);
  });

  it('refuses a negative or fractional sample count and a non-finite timestamp (SAMPLE_CLOCK_BAD_INPUT)', () => {
    const c = new SampleClock({ sampleRate: 8000 });
    expect(() => c.push(0, -1)).toThrow(expect.objectContaining({ code: 'SAMPLE_CLOCK_BAD_INPUT' }));
    expect(() => c.push(0, 1.5)).toThrow(expect.objectContaining({ code: 'SAMPLE_CLOCK_BAD_INPUT' }));
    expect(() => c.push(Number.NaN, 1)).toThrow(expect.objectContaining({ code: 'SAMPLE_CLOCK_BAD_INPUT' }));
    expect(() => new SampleClock({ sampleRate: 0 })).toThrow(expect.objectContaining({ code: 'SAMPLE_CLOCK_BAD_OPTIONS' }));
  });
});
