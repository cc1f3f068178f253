import { describe, it, expect } from 'vitest';
import { RtpImpairment } from './rtp-impairment';

function run(opts: ConstructorParameters<typeof RtpImpairment>[0], n = 10_000): { out: number[]; imp: RtpImpairment } {
  const imp = new RtpImpairment(opts);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(i);
    for (const p of imp.apply(b)) out.push(p.readUInt16BE(0));
  }
  return { out, imp };
}

describe('RtpImpairment', () => {
  it('with 5 % loss and 5 % reorder drops about 5 %, swaps neighbours only, never duplicates, and replays identically for the same seed', () => {
    const a = run({ loss: 0.05, reorder: 0.05, seed: 7 });
    const b = run({ loss: 0.05, reorder: 0.05, seed: 7 });
    expect(a.out).toEqual(b.out);
    expect(a.imp.stats.dropped / 10_000).toBeGreaterThan(0.04);
    expect(a.imp.stats.dropped / 10_000).toBeLessThan(0.06);
    expect(a.imp.stats.reordered).toBeGreaterThan(300);
    expect(new Set(a.out).size).toBe(a.out.length);
    const outOfOrder = a.out.filter((v, i) => i > 0 && v < a.out[i - 1]!).length;
    expect(outOfOrder).toBeGreaterThan(0);
    // a held packet goes out right after the next one sent: it is never more than a few places late
    a.out.forEach((v, i) => expect(i - a.out.filter((x) => x < v).length).toBeLessThanOrEqual(1));
    expect(run({ loss: 0.05, reorder: 0.05, seed: 8 }).out).not.toEqual(a.out);
  });

  it('without impairment passes every packet through in order; a fraction outside 0..1 is refused', () => {
    expect(run({}, 100).out).toEqual([...Array(100).keys()]);
    expect(() => new RtpImpairment({ loss: 1.5 })).toThrow(/fraction/);
  });
});
