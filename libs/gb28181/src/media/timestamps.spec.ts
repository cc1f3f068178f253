import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Gb28181Error } from '../errors';
import { KeyframeGate } from './keyframe-gate';
import { MediaTimeline, TIMELINE_MAX_FORWARD_JUMP_90K, TIMESTAMP_WRAP_90K, timestampDelta90k, type TimelineStamp } from './timestamps';

const WRAP = TIMESTAMP_WRAP_90K;
/** Raw 33-bit PTS of frame i of a 25 fps camera whose clock starts `startRaw`. */
const raw = (startRaw: number, i: number) => (startRaw + i * 3600) % WRAP;

function run(t: MediaTimeline, units: { pts?: number; dts?: number }[]): TimelineStamp[] {
  return units.map((u) => t.stamp(u.pts, u.dts));
}

describe('timestampDelta90k()', () => {
  it.each([
    [3600, 0, 3600],
    [0, 3600, -3600],
    [1800, WRAP - 1800, 3600],
    [WRAP - 1800, 1800, -3600],
    [WRAP / 2 - 1, 0, WRAP / 2 - 1],
    [WRAP / 2, 0, -WRAP / 2],
  ])('from %i to %i on the 33-bit circle is %i', (to, from, d) => expect(timestampDelta90k(to, from)).toBe(d));
});

describe('MediaTimeline.stamp()', () => {
  it('a 25 fps camera whose PTS starts 2 s before 2^33: output runs 0, 3600, 7200 … straight across the wrap (no jump, no discontinuity)', () => {
    const start = WRAP - 2 * 90_000;
    const out = run(new MediaTimeline(), Array.from({ length: 100 }, (_, i) => ({ pts: raw(start, i) })));
    expect(out.map((s) => s.pts)).toEqual(Array.from({ length: 100 }, (_, i) => i * 3600));
    expect(out.map((s) => s.dts)).toEqual(out.map((s) => s.pts));
    expect(out.some((s) => s.discontinuity)).toBe(false);
    // the camera's PTS did wrap in the middle
    expect(raw(start, 49)).toBeGreaterThan(raw(start, 50));
  });

  it('with origin90k 90000 the first unit lands on 90000 whatever the camera clock says', () => {
    const t = new MediaTimeline({ origin90k: 90_000 });
    expect(t.stamp(5_000_000_000).pts).toBe(90_000);
    expect(t.stamp(5_000_003_600).pts).toBe(93_600);
  });

  it('units without PTS (three frames in one PES) are placed one observed frame interval (40 ms at 25 fps) apart, and the next PTS puts the timeline back on the camera clock', () => {
    const t = new MediaTimeline();
    const out = run(t, [{ pts: 1000 }, { pts: 4600 }, {}, {}, { pts: 15_400 }, {}]);
    expect(out.map((s) => s.pts)).toEqual([0, 3600, 7200, 10_800, 14_400, 18_000]);
    expect(out.map((s) => s.interpolated)).toEqual([false, false, true, true, false, true]);
    // the frame interval was measured over the two missing units (3 × 3600), not taken as one triple-length frame
    expect(t.frameStep90k).toBe(3600);
  });

  it('units without PTS at 30 fps (3000 ticks) continue at 3000, across the wrap too', () => {
    const start = WRAP - 6000;
    const out = run(new MediaTimeline(), [{ pts: start }, { pts: (start + 3000) % WRAP }, {}, { pts: (start + 9000) % WRAP }, {}]);
    expect(out.map((s) => s.pts)).toEqual([0, 3000, 6000, 9000, 12_000]);
  });

  it('a stream that starts without any PTS counts from the origin by the default 25 fps interval', () => {
    const out = run(new MediaTimeline(), [{}, {}, { pts: 777 }, { pts: 4377 }]);
    expect(out.map((s) => s.pts)).toEqual([0, 3600, 7200, 10_800]);
  });

  it('an encoder restart (PTS jumps back from 2^33 − 1 s to 0): the output continues one frame on and stays monotonic; discontinuity is flagged once', () => {
    const t = new MediaTimeline();
    const before = Array.from({ length: 10 }, (_, i) => ({ pts: raw(WRAP - 90_000 - 100_000_000, i) }));
    const after = Array.from({ length: 10 }, (_, i) => ({ pts: 500 + i * 3600 }));
    const out = run(t, [...before, ...after]);
    expect(out.map((s) => s.pts)).toEqual(Array.from({ length: 20 }, (_, i) => i * 3600));
    expect(out.map((s) => s.discontinuity).filter(Boolean)).toHaveLength(1);
    expect(out[10]!.discontinuity).toBe(true);
    expect(t.discontinuities).toBe(1);
  });

  it('a backwards jump with explicit DTS (restart to an earlier DTS) is a discontinuity even when small', () => {
    const out = run(new MediaTimeline(), [{ pts: 90_000, dts: 90_000 }, { pts: 93_600, dts: 93_600 }, { pts: 80_000, dts: 80_000 }, { pts: 83_600, dts: 83_600 }]);
    expect(out.map((s) => s.dts)).toEqual([0, 3600, 7200, 10_800]);
    expect(out[2]!.discontinuity).toBe(true);
  });

  it(`a forward jump beyond TIMELINE_MAX_FORWARD_JUMP_90K (${TIMELINE_MAX_FORWARD_JUMP_90K / 90_000} s) is a discontinuity; one just under it is elapsed time`, () => {
    const t = new MediaTimeline();
    const out = run(t, [{ pts: 0 }, { pts: 3600 }, { pts: 3600 + TIMELINE_MAX_FORWARD_JUMP_90K }, { pts: 3600 + TIMELINE_MAX_FORWARD_JUMP_90K + 3600 + TIMELINE_MAX_FORWARD_JUMP_90K + 1 }]);
    expect(out.map((s) => s.pts)).toEqual([0, 3600, 3600 + TIMELINE_MAX_FORWARD_JUMP_90K, 3600 + TIMELINE_MAX_FORWARD_JUMP_90K + 3600]);
    expect(out.map((s) => s.discontinuity)).toEqual([false, false, false, true]);
  });

  it('B-frames (DTS < PTS, I P B B in decode order) keep each composition offset; DTS increases frame by frame, across the wrap too', () => {
    // display order I0 B1 B2 P3 …; decode order I0 P3 B1 B2, DTS one frame apart, PTS two frames ahead of DTS at most
    const start = WRAP - 3 * 3600;
    const pattern = [0, 3, 1, 2, 6, 4, 5];
    const units = pattern.map((disp, i) => ({ pts: raw(start + 2 * 3600, disp), dts: raw(start, i) }));
    const out = run(new MediaTimeline(), units);
    expect(out.map((s) => s.dts)).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => i * 3600));
    expect(out.map((s) => s.pts)).toEqual(pattern.map((disp) => 7200 + disp * 3600));
    expect(out.every((s) => s.pts >= s.dts)).toBe(true);
  });

  it('PTS-only B-frames (a camera that writes no DTS) going back by a frame are reorder, not a restart: no discontinuity, DTS never decreases', () => {
    const out = run(new MediaTimeline(), [0, 3, 1, 2, 6, 4, 5].map((d) => ({ pts: 1_000_000 + d * 3600 })));
    expect(out.some((s) => s.discontinuity)).toBe(false);
    for (let i = 1; i < out.length; i++) expect(out[i]!.dts).toBeGreaterThanOrEqual(out[i - 1]!.dts);
    expect(out.every((s) => s.pts >= s.dts)).toBe(true);
  });

  it('property: for any mix of missing, wrapping, jumping and repeated timestamps, output DTS never decreases and PTS ≥ DTS', () => {
    const unit = fc.record({ pts: fc.option(fc.integer({ min: 0, max: WRAP - 1 }), { nil: undefined }), dts: fc.option(fc.integer({ min: 0, max: WRAP - 1 }), { nil: undefined }) });
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 60 }), (units) => {
        const out = run(new MediaTimeline(), units);
        for (let i = 0; i < out.length; i++) {
          expect(out[i]!.pts).toBeGreaterThanOrEqual(out[i]!.dts);
          if (i > 0) expect(out[i]!.dts).toBeGreaterThanOrEqual(out[i - 1]!.dts);
        }
      }),
      { seed: 2833, numRuns: 300 },
    );
  });

  it('a non-finite timestamp throws TIMELINE_BAD_TIMESTAMP (a Gb28181Error)', () => {
    expect(() => new MediaTimeline().stamp(Number.NaN)).toThrow(Gb28181Error);
    expect(() => new MediaTimeline().stamp(0, Number.POSITIVE_INFINITY)).toThrow(expect.objectContaining({ code: 'TIMELINE_BAD_TIMESTAMP' }));
  });
});

describe('MediaTimeline.place()', () => {
  it('audio on the same clock lands next to the video across the wrap and after a restart; null before any video or when far off', () => {
    const t = new MediaTimeline({ origin90k: 90_000 });
    expect(t.place(123)).toBeNull();
    t.stamp(WRAP - 1800);
    expect(t.place(WRAP - 1800)).toBe(90_000);
    expect(t.place(900)).toBe(92_700); // 2^33 + 900 is 2700 ticks after 2^33 − 1800
    t.stamp(1800); // 3600 later, across the wrap
    t.stamp(50_000_000); // a restart: rebased one frame on
    expect(t.place(50_000_000 + 1800)).toBe(90_000 + 7200 + 1800);
    expect(t.place(50_000_000 + 20 * 90_000)).toBeNull();
  });
});

describe('KeyframeGate.admit()', () => {
  it('starts shut: frames before the first keyframe are dropped, then everything passes', () => {
    const g = new KeyframeGate();
    expect([false, false, true, false, false].map((k) => g.admit(k))).toEqual([false, false, true, true, true]);
    expect(g.droppedFrames).toBe(2);
  });

  it('after shut() (an overflowing queue) it drops until a keyframe arrives while ready; a keyframe while not ready is dropped too', () => {
    const g = new KeyframeGate();
    g.admit(true);
    g.shut();
    expect(g.waiting).toBe(true);
    expect(g.admit(false)).toBe(false);
    expect(g.admit(true, false)).toBe(false);
    expect(g.admit(false, true)).toBe(false);
    expect(g.admit(true, true)).toBe(true);
    expect(g.waiting).toBe(false);
  });
});
