import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Gb28181Error } from '../errors';
import { frameRfc4571, Rfc4571Framer } from './rfc4571.framer';

const packets = [Buffer.from('80600001000000020000000301', 'hex'), Buffer.alloc(300, 7), Buffer.from([1])];
const stream = Buffer.concat([...packets.map(frameRfc4571), Buffer.from([0, 0]), frameRfc4571(Buffer.from('ff', 'hex'))]);
const expected = [...packets, Buffer.from('ff', 'hex')];

describe('Rfc4571Framer', () => {
  it('push() of a stream split at every position in two chunks yields the same frames, zero-length frames skipped', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const f = new Rfc4571Framer();
      const out = [...f.push(stream.subarray(0, cut)), ...f.push(stream.subarray(cut))];
      expect(out).toEqual(expected);
      expect(f.bufferedBytes).toBe(0);
    }
  });

  it('push() one byte at a time yields the same frames and reports buffered bytes in between', () => {
    const f = new Rfc4571Framer();
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) {
      out.push(...f.push(stream.subarray(i, i + 1)));
      if (i === 5) expect(f.bufferedBytes).toBe(4);
    }
    expect(out).toEqual(expected);
  });

  it('push() of a frame longer than maxFrameBytes throws RFC4571_FRAME_TOO_LARGE', () => {
    const f = new Rfc4571Framer({ maxFrameBytes: 1500 });
    expect(f.push(frameRfc4571(Buffer.alloc(1500)))).toHaveLength(1);
    expect(() => f.push(Buffer.from([0x05, 0xdd]))).toThrow(expect.objectContaining({ code: 'RFC4571_FRAME_TOO_LARGE' }));
    expect(f.bufferedBytes).toBe(0);
  });

  it('frameRfc4571() of a 65536-byte packet throws RFC4571_FRAME_TOO_LARGE', () => {
    expect(() => frameRfc4571(Buffer.alloc(65536))).toThrow(expect.objectContaining({ code: 'RFC4571_FRAME_TOO_LARGE' }));
  });

  it('push() of random packets in random chunks yields exactly those packets (property, seed 4571)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 2000 }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 30 }),
        (pkts, cuts) => {
          const all = Buffer.concat(pkts.map((p) => frameRfc4571(Buffer.from(p))));
          const f = new Rfc4571Framer();
          const out: Buffer[] = [];
          let o = 0;
          let k = 0;
          while (o < all.length) {
            const n = cuts[k++ % cuts.length];
            out.push(...f.push(all.subarray(o, o + n)));
            o += n;
          }
          expect(out.map((b) => b.toString('hex'))).toEqual(pkts.map((p) => Buffer.from(p).toString('hex')));
        },
      ),
      { seed: 4571, numRuns: 200 },
    );
  });

  it('push() of random bytes with a small bound throws nothing but Gb28181Error and stays bounded (fuzz, seed 7)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 10 }), (chunks) => {
        const f = new Rfc4571Framer({ maxFrameBytes: 512 });
        for (const c of chunks) {
          try {
            f.push(Buffer.from(c));
          } catch (e) {
            expect(e).toBeInstanceOf(Gb28181Error);
          }
          expect(f.bufferedBytes).toBeLessThanOrEqual(2 + 512 + 600);
        }
      }),
      { seed: 7, numRuns: 500 },
    );
  });
});
