import { describe, expect, it } from 'vitest';
import { GopCache } from './gop-cache';

const frame = (keyframe: boolean, timestamp: number, bytes = 100) => ({ keyframe, timestamp, packets: [Buffer.alloc(bytes, 1), Buffer.alloc(bytes, 2)] });

describe('GopCache', () => {
  it('holds the frames from the latest keyframe; nothing before the first one', () => {
    const c = new GopCache();
    c.push(frame(false, 0));
    expect(c.length).toBe(0);
    c.push(frame(true, 3600));
    c.push(frame(false, 7200));
    expect(c.length).toBe(2);
    c.push(frame(true, 10_800));
    expect(c.length).toBe(1);
    expect(c.bytes).toBe(200);
  });

  it('past its byte bound it empties and stays empty until the next keyframe', () => {
    const c = new GopCache(500);
    c.push(frame(true, 0));
    c.push(frame(false, 3600));
    expect(c.length).toBe(2);
    c.push(frame(false, 7200)); // 600 > 500
    expect(c.length).toBe(0);
    c.push(frame(false, 10_800));
    expect(c.length).toBe(0);
    c.push(frame(true, 14_400));
    expect(c.length).toBe(1);
  });

  it('burst(): copies with the timestamps 1 tick apart just below the next live frame (wrapping), the cache untouched', () => {
    const c = new GopCache();
    const f = [frame(true, 5), frame(false, 3605), frame(false, 7205)];
    for (const x of f) c.push(x);
    const out = c.burst(10_800);
    expect(out.length).toBe(6);
    expect(out.map((p) => p.readUInt32BE(4))).toEqual([10_797, 10_797, 10_798, 10_798, 10_799, 10_799]);
    expect(c.burst(1).map((p) => p.readUInt32BE(4))).toEqual([2 ** 32 - 2, 2 ** 32 - 2, 2 ** 32 - 1, 2 ** 32 - 1, 0, 0]);
    expect(f[0]!.packets[0]!.readUInt32BE(4)).toBe(0x01010101); // originals not written
    expect(new GopCache().burst(0)).toEqual([]);
  });
});
