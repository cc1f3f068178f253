import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Gb28181Error } from '../errors';
import { HLS_MAX_TIMESTAMP_JUMP_90K, HLS_MAX_WINDOW, HlsSegmenter, hlsSegmentUri, type HlsSegmenterStep } from './hls-segmenter';

/** Feeds `n` frames at 25 fps from `start`, a keyframe every `gop` frames; returns each step. */
function feed(s: HlsSegmenter, n: number, gop: number, start = 0, step = 3600): HlsSegmenterStep[] {
  return Array.from({ length: n }, (_, i) => s.push(start + i * step, i % gop === 0));
}

describe('HlsSegmenter.push()', () => {
  it('before the first keyframe frames are not accepted; the first keyframe opens segment 0', () => {
    const s = new HlsSegmenter({ targetDurationS: 1, windowSize: 6 });
    expect(s.push(0, false)).toEqual({ accept: false, opened: null, closed: null, evicted: [] });
    expect(s.push(3600, true)).toEqual({ accept: true, opened: 0, closed: null, evicted: [] });
    expect(s.currentSequence).toBe(0);
    expect(s.playlist()).toBeNull();
  });

  it('cuts only at a keyframe: a 2 s GOP with a 1 s target gives 2 s segments', () => {
    const s = new HlsSegmenter({ targetDurationS: 1, windowSize: 6 });
    const steps = feed(s, 151, 50);
    const cuts = steps.flatMap((st, i) => (st.closed ? [[i, st.closed.durationS]] : []));
    expect(cuts).toEqual([[50, 2], [100, 2], [150, 2]]);
    steps.forEach((st, i) => expect(st.opened !== null).toBe(i % 50 === 0));
  });

  it('a keyframe before the target duration does not cut: GOP 10 (0.4 s) with a 1 s target cuts every 30 frames (1.2 s)', () => {
    const s = new HlsSegmenter({ targetDurationS: 1, windowSize: 6 });
    const steps = feed(s, 91, 10);
    expect(steps.flatMap((st, i) => (st.closed ? [i] : []))).toEqual([30, 60, 90]);
    expect(s.window.map((x) => x.durationS)).toEqual([1.2, 1.2, 1.2]);
  });

  it('keeps a window of N segments, evicting the oldest and advancing EXT-X-MEDIA-SEQUENCE', () => {
    const s = new HlsSegmenter({ targetDurationS: 1, windowSize: 3 });
    const steps = feed(s, 25 * 6 + 1, 25);
    expect(steps.flatMap((st) => st.evicted.map((e) => e.sequence))).toEqual([0, 1, 2]);
    expect(s.window.map((x) => x.sequence)).toEqual([3, 4, 5]);
    expect(s.playlist()).toBe(
      ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:1', '#EXT-X-MEDIA-SEQUENCE:3', '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXTINF:1.000,', 'seg_00003.ts', '#EXTINF:1.000,', 'seg_00004.ts', '#EXTINF:1.000,', 'seg_00005.ts', ''].join('\n'),
    );
  });

  it('EXTINF comes from PTS (millisecond precision) and TARGETDURATION is the longest segment rounded up', () => {
    const s = new HlsSegmenter({ targetDurationS: 1, windowSize: 6, independentSegments: false });
    s.push(1000, true);
    s.push(1000 + 90_000 + 45, true); // 1.0005 s
    s.push(1000 + 90_000 + 45 + 2.5 * 90_000, true); // 2.5 s
    const p = s.playlist()!;
    expect(p).toContain('#EXTINF:1.000,\nseg_00000.ts');
    expect(p).toContain('#EXTINF:2.500,\nseg_00001.ts');
    expect(p).toContain('#EXT-X-TARGETDURATION:3\n');
    expect(p).not.toContain('INDEPENDENT');
  });

  it('PTS that wraps or jumps by more than HLS_MAX_TIMESTAMP_JUMP_90K cuts at the next keyframe, timing the segment by the frames before the jump', () => {
    const s = new HlsSegmenter({ targetDurationS: 1, windowSize: 6 });
    feed(s, 10, 100, HLS_MAX_TIMESTAMP_JUMP_90K + 100_000);
    // jump back to 0 mid-GOP: 10 non-key frames, then a keyframe 11 frames later
    for (let k = 0; k < 10; k++) expect(s.push(k * 3600, false).closed).toBeNull();
    const st = s.push(20 * 3600, true);
    // 10 frames before the jump + 10 after + the gap of 11 frames, measured as if the timeline had continued
    expect(st.closed!.durationS).toBeCloseTo(1.2, 6);
  });

  it('a keyframe right after a jump cuts there, the segment lasting until one frame after its last frame', () => {
    const s = new HlsSegmenter({ targetDurationS: 1, windowSize: 6 });
    feed(s, 5, 100, 2 * HLS_MAX_TIMESTAMP_JUMP_90K);
    const st = s.push(0, true);
    expect(st.closed!.durationS).toBeCloseTo(0.2, 6);
    expect(st.opened).toBe(1);
  });

  it('segmentUri option names the segments; the default is seg_%05d.ts', () => {
    expect(hlsSegmentUri(7)).toBe('seg_00007.ts');
    const s = new HlsSegmenter({ targetDurationS: 1, windowSize: 2, segmentUri: (n) => `chunk-${n}.ts` });
    feed(s, 26, 25);
    expect(s.window[0]!.uri).toBe('chunk-0.ts');
  });

  it.each([
    [{ targetDurationS: 0, windowSize: 6 }],
    [{ targetDurationS: NaN, windowSize: 6 }],
    [{ targetDurationS: 1, windowSize: 0 }],
    [{ targetDurationS: 1, windowSize: HLS_MAX_WINDOW + 1 }],
    [{ targetDurationS: 1, windowSize: 1.5 }],
  ])('options %o throw HLS_BAD_OPTIONS', (o) => {
    expect(() => new HlsSegmenter(o)).toThrow(expect.objectContaining({ code: 'HLS_BAD_OPTIONS' }));
  });

  it('random timestamps and keyframe flags: only Gb28181Error escapes, the window never exceeds N, sequences rise by 1, durations are positive (fuzz, seed 8216)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.tuple(fc.oneof(fc.double(), fc.integer({ min: -(2 ** 34), max: 2 ** 34 })), fc.boolean()), { maxLength: 200 }),
        (n, frames) => {
          const s = new HlsSegmenter({ targetDurationS: 1, windowSize: n });
          for (const [pts, key] of frames) {
            try {
              s.push(pts, key);
            } catch (e) {
              expect(e).toBeInstanceOf(Gb28181Error);
            }
            expect(s.window.length).toBeLessThanOrEqual(n);
            s.window.forEach((w, i) => {
              expect(w.durationS).toBeGreaterThan(0);
              if (i > 0) expect(w.sequence).toBe(s.window[i - 1]!.sequence + 1);
            });
          }
        },
      ),
      { seed: 8216, numRuns: 300 },
    );
  });
});
