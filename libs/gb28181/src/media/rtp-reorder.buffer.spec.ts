import { describe, expect, it } from 'vitest';
import { RtpReorderBuffer } from './rtp-reorder.buffer';
import { parseRtpPacket, serializeRtpPacket, type RtpPacket } from './rtp.codec';

const pkt = (seq: number): RtpPacket =>
  parseRtpPacket(serializeRtpPacket({ payloadType: 96, sequenceNumber: seq & 0xffff, timestamp: 0, ssrc: 1, payload: Buffer.from([seq & 0xff]) }));
const seqs = (ps: RtpPacket[]) => ps.map((p) => p.sequenceNumber);

function feed(buf: RtpReorderBuffer, order: number[], now = 0): number[] {
  return order.flatMap((s) => seqs(buf.push(pkt(s), now)));
}

describe('RtpReorderBuffer', () => {
  it('push() of in-order packets releases each at once', () => {
    const b = new RtpReorderBuffer();
    expect(feed(b, [10, 11, 12, 13])).toEqual([10, 11, 12, 13]);
    expect(b.stats).toMatchObject({ received: 4, reordered: 0, duplicates: 0, lost: 0, late: 0 });
  });

  it('push() of a swapped pair holds the later one and releases both in order', () => {
    const b = new RtpReorderBuffer();
    expect(seqs(b.push(pkt(1), 0))).toEqual([1]);
    expect(seqs(b.push(pkt(3), 1))).toEqual([]);
    expect(seqs(b.push(pkt(2), 2))).toEqual([2, 3]);
    expect(b.stats.reordered).toBe(1);
  });

  it('push() of duplicates (held or already released) counts them and releases nothing twice', () => {
    const b = new RtpReorderBuffer();
    expect(feed(b, [1, 1, 3, 3, 2, 2])).toEqual([1, 2, 3]);
    expect(b.stats.duplicates).toBe(3);
  });

  it('flush() after maxWaitMs skips the gap, counts it lost, and a straggler is counted late', () => {
    const b = new RtpReorderBuffer({ maxWaitMs: 100 });
    expect(feed(b, [1, 2, 5, 6], 0)).toEqual([1, 2]);
    expect(seqs(b.flush(99))).toEqual([]);
    expect(seqs(b.flush(100))).toEqual([5, 6]);
    expect(b.stats.lost).toBe(2);
    expect(seqs(b.push(pkt(3), 101))).toEqual([]);
    expect(b.stats.late).toBe(1);
    expect(seqs(b.push(pkt(7), 102))).toEqual([7]);
  });

  it('push() past capacity releases the oldest and counts the gap lost without waiting', () => {
    const b = new RtpReorderBuffer({ capacity: 4, maxWaitMs: 1e9 });
    expect(feed(b, [0, 2, 3, 4])).toEqual([0]);
    expect(seqs(b.push(pkt(5), 0))).toEqual([2, 3, 4, 5]);
    expect(b.stats.lost).toBe(1);
  });

  it('push() across the 65535 -> 0 wrap releases in order, including a swap at the wrap', () => {
    const b = new RtpReorderBuffer();
    expect(feed(b, [65533, 65534, 0, 65535, 1, 2])).toEqual([65533, 65534, 65535, 0, 1, 2]);
    expect(b.stats.lost).toBe(0);
    expect(b.stats.reordered).toBe(1);
  });

  it('flush() across the wrap skips 65535 and 0 as lost', () => {
    const b = new RtpReorderBuffer({ maxWaitMs: 50 });
    expect(feed(b, [65534, 1, 2], 0)).toEqual([65534]);
    expect(seqs(b.flush(60))).toEqual([1, 2]);
    expect(b.stats.lost).toBe(2);
  });

  it('push() of two sequential packets after a big jump treats it as a source restart', () => {
    const b = new RtpReorderBuffer();
    expect(feed(b, [100, 101, 40000])).toEqual([100, 101]);
    expect(seqs(b.push(pkt(40001), 0))).toEqual([40000, 40001]);
    expect(b.stats.restarts).toBe(1);
    expect(feed(b, [40002])).toEqual([40002]);
  });

  it('push() of a random permutation within the window releases every packet exactly once in order', () => {
    const b = new RtpReorderBuffer({ capacity: 16, maxWaitMs: 1e9 });
    const order: number[] = [65499]; // the first packet sets the start of the sequence
    // deterministic shuffle of 65500..65500+199 in blocks of 8
    for (let blk = 0; blk < 25; blk++) {
      const block = Array.from({ length: 8 }, (_, i) => (65500 + blk * 8 + i) & 0xffff);
      order.push(...block.reverse());
    }
    const out = [...feed(b, order), ...seqs(b.drain())];
    expect(out).toEqual(Array.from({ length: 201 }, (_, i) => (65499 + i) & 0xffff));
    expect(b.stats.lost).toBe(0);
  });

  it('inOrder() where it answers true, else push(): the same packets, order and stats as push() alone (random loss, swaps, duplicates, jumps)', () => {
    let x = 14; // deterministic pseudo-random sequence
    const rnd = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const order: number[] = [];
    let seq = 65_000;
    for (let i = 0; i < 3000; i++) {
      const r = rnd();
      if (r < 0.03) seq += 2; // one lost
      else if (r < 0.05) order.push((seq + 1) & 0xffff); // a swap: the next one first
      else if (r < 0.06) order.push((seq - 1) & 0xffff); // a duplicate of the last
      else if (r < 0.062) seq += 5000; // a jump (source restart)
      order.push(seq++ & 0xffff);
    }
    const plain = new RtpReorderBuffer({ capacity: 64, maxWaitMs: 10 });
    const fast = new RtpReorderBuffer({ capacity: 64, maxWaitMs: 10 });
    const a: number[] = [];
    const b: number[] = [];
    let fastPaths = 0;
    order.forEach((s, i) => {
      a.push(...seqs(plain.push(pkt(s), i)), ...seqs(plain.flush(i)));
      if (fast.inOrder(s)) {
        fastPaths++;
        b.push(s);
      } else b.push(...seqs(fast.push(pkt(s), i)));
      b.push(...seqs(fast.flush(i)));
    });
    expect(b).toEqual(a);
    expect(fast.stats).toEqual(plain.stats);
    expect(fastPaths).toBeGreaterThan(order.length / 2);
  });
});
