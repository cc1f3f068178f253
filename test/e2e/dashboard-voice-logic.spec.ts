import { describe, expect, it } from 'vitest';
import { Downsampler, VOICE_RATE } from '../../web/src/voice-pcm';

/** The page's microphone path, DOM-free (web/src/voice-pcm.ts), run in Node. */

function sine(hz: number, rate: number, seconds: number, amp: number): Float32Array {
  return Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / rate));
}

function run(d: Downsampler, input: Float32Array, chunk: number): Int16Array {
  const parts: number[] = [];
  for (let o = 0; o < input.length; o += chunk) parts.push(...d.push(input.subarray(o, o + chunk)));
  return Int16Array.from(parts);
}

const rms = (a: Int16Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0) / a.length);
const crossings = (a: Int16Array) => a.reduce((n, v, i) => n + (i > 0 && (a[i - 1]! < 0) !== (v < 0) ? 1 : 0), 0);

describe('Downsampler', () => {
  it.each([48_000, 44_100, 16_000])('a 440 Hz tone at %i Hz in ScriptProcessor chunks becomes 8 kHz with its level and pitch', (rate) => {
    const out = run(new Downsampler(rate), sine(440, rate, 1, 0.5), 2048);
    expect(Math.abs(out.length - VOICE_RATE)).toBeLessThanOrEqual(1);
    expect(rms(out)).toBeGreaterThan(0.5 * 32767 * Math.SQRT1_2 * 0.97);
    expect(rms(out)).toBeLessThan(0.5 * 32767 * Math.SQRT1_2 * 1.01);
    expect(Math.abs(crossings(out) - 880)).toBeLessThanOrEqual(4);
  });

  it('a 6 kHz tone (above the 4 kHz of G.711) from 48 kHz is attenuated by the box filter, not folded at full level', () => {
    const out = run(new Downsampler(48_000), sine(6000, 48_000, 0.5, 0.5), 2048);
    expect(rms(out)).toBeLessThan(0.4 * 0.5 * 32767 * Math.SQRT1_2);
  });

  it('clips over-full-scale input to the 16-bit range (the output lags one input sample)', () => {
    const out = new Downsampler(8000).push(Float32Array.from([2, -2, 1, -1, 0]));
    expect([...out]).toEqual([0, 32767, -32768, 32767, -32767]);
  });
});
