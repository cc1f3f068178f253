import { describe, expect, it } from 'vitest';
import { AacSilenceFiller } from './aac-silence.filler';
import { GATEWAY_AAC_CONFIG, aacSilentFrame } from './aac.codec';
import { TIMESTAMP_WRAP_90K } from './timestamps';

/** 25 fps video, 16 kHz AAC (5760 ticks a frame). */
const V = 3600;
const A = 5760;
const real = Buffer.from([0x21, 0x1b, 0x80]);

function run(f: AacSilenceFiller, from: number, frames: number, audioFrom?: { at: number; lag: number }) {
  const out: { pts: number; silent: boolean }[] = [];
  let nextAudio = audioFrom?.at ?? Infinity;
  for (let i = 0; i < frames; i++) {
    const v = from + i * V;
    out.push(...f.video(v));
    // camera audio reaches the filler `lag` ticks after its own time (a transcode's delay)
    while (nextAudio + (audioFrom?.lag ?? 0) <= v) {
      out.push(...f.audio(real, nextAudio));
      nextAudio += A;
    }
  }
  return out;
}

describe('AacSilenceFiller', () => {
  it('without camera audio: silent frames from the first video frame on, contiguous, covering the video', () => {
    const f = new AacSilenceFiller({ config: GATEWAY_AAC_CONFIG });
    const out = run(f, 90_000, 50); // 2 s of video
    expect(out.every((o) => o.silent)).toBe(true);
    expect(out[0]!.pts).toBe(90_000);
    expect(out.map((o, i) => o.pts - 90_000 - i * A).every((d) => d === 0)).toBe(true);
    expect(out.at(-1)!.pts + A).toBeGreaterThan(90_000 + 49 * V);
    expect(f.video(90_000 + 50 * V)[0]!.raw).toEqual(aacSilentFrame(1));
  });

  it('late audio: silence until the camera audio starts (3 s in), then only camera frames, no overlap and no hole bigger than a frame', () => {
    const f = new AacSilenceFiller({ config: GATEWAY_AAC_CONFIG });
    const out = run(f, 0, 150, { at: 3 * 90_000, lag: 18_000 }); // arrives 0.2 s after its time
    const firstReal = out.findIndex((o) => !o.silent);
    expect(out.slice(0, firstReal).every((o) => o.silent)).toBe(true);
    expect(out.slice(firstReal).every((o) => !o.silent)).toBe(true);
    // the camera's first frames that lie in silence already sent are dropped (~0.2 s), the rest follow on
    expect(out[firstReal]!.pts).toBeGreaterThanOrEqual(3 * 90_000);
    expect(out[firstReal]!.pts).toBeLessThan(3 * 90_000 + 18_000 + 2 * A);
    const steps = out.slice(1).map((o, i) => o.pts - out[i]!.pts);
    expect(Math.min(...steps)).toBeGreaterThanOrEqual(A / 2);
    expect(Math.max(...steps)).toBeLessThanOrEqual(2 * A);
    expect(f.cameraFrames).toBeGreaterThan(20);
  });

  it('camera audio delivered before the video of its time (video delayed by load): silence fills up to it, no hole', () => {
    const f = new AacSilenceFiller({ config: GATEWAY_AAC_CONFIG });
    const out: { pts: number; silent: boolean }[] = [];
    // 0.4 s of video, then the camera's first audio (its time 1.5 s) arrives before the video from 0.4 s on
    for (let i = 0; i * V <= 36_000; i++) out.push(...f.video(i * V));
    for (let k = 0; k < 5; k++) out.push(...f.audio(real, 135_000 + k * A));
    for (let i = 11; i * V <= 2 * 90_000; i++) out.push(...f.video(i * V));
    const firstReal = out.findIndex((o) => !o.silent);
    expect(out[firstReal]!.pts).toBe(135_000);
    expect(out.slice(0, firstReal).every((o) => o.silent)).toBe(true);
    // contiguous from 0 to the camera's first frame: silence in whole frames, and where it meets the camera's frame
    // neither a hole nor an overlap of over half a frame
    const steps = out.slice(1, firstReal + 1).map((o, i) => o.pts - out[i]!.pts);
    expect(steps.slice(0, -1).every((d) => d === A)).toBe(true);
    expect(Math.abs(out[firstReal - 1]!.pts + A - 135_000)).toBeLessThanOrEqual(A / 2);
    // the video that follows adds no silence inside the camera's audio
    expect(out.slice(firstReal).every((o) => !o.silent)).toBe(true);
  });

  it('camera audio that stops: silence resumes after 1 s of video without it, from where the audio ended', () => {
    const f = new AacSilenceFiller({ config: GATEWAY_AAC_CONFIG });
    const out: { pts: number; silent: boolean }[] = [];
    let k = 0;
    for (let i = 0; i < 100; i++) {
      const v = i * V;
      out.push(...f.video(v));
      // the camera sends audio for the first 2 s only
      for (; k * A <= v && v < 2 * 90_000; k++) out.push(...f.audio(real, k * A));
    }
    const lastReal = out.map((o) => o.silent).lastIndexOf(false);
    const resumed = out[lastReal + 1]!;
    expect(resumed.silent).toBe(true);
    expect(resumed.pts - out[lastReal]!.pts).toBe(A);
    expect(f.cameraActive).toBe(false);
  });

  it('camera audio before the first video frame is dropped; audio far ahead of the video (another clock) too', () => {
    const f = new AacSilenceFiller({ config: GATEWAY_AAC_CONFIG });
    expect(f.audio(real, 0)).toEqual([]);
    f.video(90_000);
    expect(f.audio(real, 90_000 + 10 * 90_000)).toEqual([]);
    expect(f.droppedFrames).toBe(2);
  });

  it('camera audio stuck behind what was sent for over 2 s is followed back rather than dropped for ever', () => {
    const f = new AacSilenceFiller({ config: GATEWAY_AAC_CONFIG });
    run(f, 0, 100); // 4 s of silence out
    let accepted = 0;
    for (let i = 0; i < 100; i++) {
      f.video(4 * 90_000 + i * V);
      accepted += f.audio(real, i * A).length; // camera audio 4 s behind, for ever
    }
    expect(accepted).toBeGreaterThan(0);
  });

  it('runs across the 33-bit wrap: frame times wrap with the camera clock and stay 5760 apart', () => {
    const f = new AacSilenceFiller({ config: GATEWAY_AAC_CONFIG });
    const start = TIMESTAMP_WRAP_90K - 20 * V;
    const out: number[] = [];
    for (let i = 0; i < 40; i++) out.push(...f.video((start + i * V) % TIMESTAMP_WRAP_90K).map((o) => o.pts));
    const steps = out.slice(1).map((p, i) => (p - out[i]! + TIMESTAMP_WRAP_90K) % TIMESTAMP_WRAP_90K);
    expect(new Set(steps)).toEqual(new Set([A]));
    expect(out.some((p) => p < 100_000)).toBe(true);
  });

  it('a video jump of more than 10 s restarts the track at the new video time instead of filling the distance', () => {
    const f = new AacSilenceFiller({ config: GATEWAY_AAC_CONFIG });
    run(f, 0, 10);
    const out = f.video(60 * 90_000);
    expect(out).toHaveLength(1);
    expect(out[0]!.pts).toBe(60 * 90_000);
  });
});
