import { describe, expect, it } from 'vitest';
import { PcmUpsampler2x } from './pcm-upsampler';

const samples = (b: Buffer) => Array.from({ length: b.length / 2 }, (_, i) => b.readInt16LE(i * 2));

describe('PcmUpsampler2x', () => {
  it('doubles the rate: each sample preceded by the midpoint from the previous one, as s16le', () => {
    const u = new PcmUpsampler2x();
    expect(samples(u.push([100, 300, -100]))).toEqual([50, 100, 200, 300, 100, -100]);
  });

  it('carries the last sample across calls (no seam between frames) and silence starts halfway down', () => {
    const u = new PcmUpsampler2x();
    u.push([1000]);
    expect(samples(u.push([2000]))).toEqual([1500, 2000]);
    expect(samples(u.silence(2))).toEqual([1000, 0, 0, 0]);
  });

  it('keeps the extremes of the 16-bit range without overflow', () => {
    const u = new PcmUpsampler2x();
    expect(samples(u.push([32767, -32768, 32767]))).toEqual([16383, 32767, -1, -32768, -1, 32767]); // midpoints floor (−0.5 → −1)
  });
});
