import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Gb28181Error } from '../errors';
import { fixtureBytes, fixtureFrames, type FixtureFrame } from '../../../../test/fixtures/media/media-fixtures';
import { splitAnnexB } from './nal';
import { PsDemuxer, type PsAccessUnit } from './ps-demuxer';
import { packetizePs, PsMuxer } from './ps-muxer';
import { parseRtpPacket, serializeRtpPacket } from './rtp.codec';

const h264 = fixtureFrames('h264-176x144-30f');
const h265 = fixtureFrames('h265-200x120-30f');
const FRAME = 3600; // 25 fps at 90 kHz

function muxAll(frames: FixtureFrame[], codec: 'h264' | 'h265' = 'h264'): Buffer[] {
  const m = new PsMuxer({ video: codec });
  return frames.map((f, i) => m.muxVideo(f.data, 1000 + i * FRAME, f.key));
}

function demuxAll(chunks: Buffer[], d = new PsDemuxer()): PsAccessUnit[] {
  return [...chunks.flatMap((c) => d.push(c)), ...d.flush()];
}

const video = (aus: PsAccessUnit[]) => aus.filter((a) => a.kind === 'video');
/** The NAL units of an access unit: where a zero byte between two units goes (trailing_zero_8bits vs a 4-byte start code) is not significant. */
const nals = (au: Buffer) => splitAnnexB(au).map((n) => n.toString('hex')).join(',');

describe('PsDemuxer with camera-like PS from PsMuxer', () => {
  it('mux -> packetize -> RTP -> demux gives back the same H.264 access units, PTS and keyframes, each at its marker', () => {
    const d = new PsDemuxer();
    const out: PsAccessUnit[] = [];
    let seq = 0;
    muxAll(h264).forEach((ps, i) => {
      const chunks = packetizePs(ps, 1400);
      chunks.forEach((c, k) => {
        const rtp = parseRtpPacket(serializeRtpPacket({ payloadType: 96, sequenceNumber: seq++, timestamp: 1000 + i * FRAME, ssrc: 1, marker: k === chunks.length - 1, payload: c }));
        const got = d.push(rtp.payload, { marker: rtp.marker });
        if (k < chunks.length - 1) expect(got).toEqual([]);
        out.push(...got);
      });
    });
    expect(d.flush()).toEqual([]);
    expect(out.map((a) => a.data)).toEqual(h264.map((f) => f.data));
    expect(out.map((a) => a.keyframe)).toEqual(h264.map((f) => f.key));
    expect(out.map((a) => a.pts)).toEqual(h264.map((_, i) => 1000 + i * FRAME));
    expect(out.every((a) => a.codec === 'h264' && a.streamId === 0xe0)).toBe(true);
    expect(d.streams).toEqual([{ streamId: 0xe0, kind: 'video', codec: 'h264', streamType: 0x1b, source: 'psm', width: 176, height: 144 }]);
  });

  it('mux -> demux of H.265 gives back the same access units and the SPS size 200x120', () => {
    const d = new PsDemuxer();
    const out = demuxAll(muxAll(h265, 'h265').flatMap((ps) => packetizePs(ps)), d);
    expect(out.map((a) => nals(a.data))).toEqual(h265.map((f) => nals(f.data)));
    expect(out.map((a) => a.keyframe)).toEqual(h265.map((f) => f.key));
    expect(d.streams[0]).toMatchObject({ codec: 'h265', streamType: 0x24, width: 200, height: 120 });
  });

  it('push() of a frame larger than 65535 bytes split into several PES with the same PTS yields one access unit', () => {
    const big = Buffer.concat([h264[0].data, Buffer.alloc(150_000, 0x5a)]);
    const ps = new PsMuxer({ video: 'h264' }).muxVideo(big, 9000, true);
    expect(ps.toString('hex').split('000001e0').length - 1).toBe(3);
    const out = demuxAll([...packetizePs(ps), ...muxAll(h264.slice(1, 2))]);
    expect(out).toHaveLength(2);
    expect(out[0].data.equals(big)).toBe(true);
    expect(out[0].pts).toBe(9000);
  });

  it('push() of a PES split at every byte across two pushes yields the same access units', () => {
    const ps = Buffer.concat(muxAll(h264.slice(0, 3)));
    const want = h264.slice(0, 3).map((f) => f.data.toString('hex'));
    for (let cut = 0; cut <= ps.length; cut += cut < 200 ? 1 : 37) {
      const out = demuxAll([ps.subarray(0, cut), ps.subarray(cut)]);
      expect(out.map((a) => a.data.toString('hex'))).toEqual(want);
    }
  });

  it('push() without any PSM guesses H.264 and H.265 from the NAL headers', () => {
    const strip = (ps: Buffer) => {
      const i = ps.indexOf(Buffer.from('000001bc', 'hex'));
      return i < 0 ? ps : Buffer.concat([ps.subarray(0, i), ps.subarray(i + 6 + ps.readUInt16BE(i + 4))]);
    };
    for (const [frames, codec] of [[h264, 'h264'], [h265, 'h265']] as const) {
      const d = new PsDemuxer();
      const out = demuxAll(muxAll(frames, codec).map(strip), d);
      expect(d.stats.psms).toBe(0);
      expect(out).toHaveLength(30);
      expect(out.every((a) => a.codec === codec)).toBe(true);
      expect(d.streams[0]).toMatchObject({ codec, source: 'guess' });
    }
  });

  it('push() of a PSM that changes from H.264 to H.265 mid-stream switches codec at the next keyframe', () => {
    const d = new PsDemuxer();
    const out = demuxAll([...muxAll(h264.slice(0, 10)), ...muxAll(h265.slice(0, 10), 'h265')], d);
    expect(out.map((a) => a.codec)).toEqual([...Array(10).fill('h264'), ...Array(10).fill('h265')]);
    expect(nals(out[10].data)).toEqual(nals(h265[0].data));
    expect(d.stats.psmChanges).toBe(1);
  });

  it('push() with garbage between packs skips it, counts it, and loses no unit', () => {
    const garbage = Buffer.from('deadbeef000001000102000001b3ffff0000', 'hex');
    const chunks = muxAll(h264).flatMap((ps) => [garbage, ps]);
    const d = new PsDemuxer();
    const out = demuxAll(chunks, d);
    expect(out.map((a) => a.data)).toEqual(h264.map((f) => f.data));
    expect(d.stats.garbageBytes).toBeGreaterThanOrEqual(30 * garbage.length - 30 * 4);
  });

  it('push() with lost: true drops the partial unit and resumes at the next keyframe, never emitting a corrupt unit', () => {
    const d = new PsDemuxer();
    const out: PsAccessUnit[] = [];
    let gap = false;
    muxAll(h264).forEach((ps, i) => {
      const chunks = packetizePs(ps, 200);
      chunks.forEach((c, k) => {
        if (i === 3 && k === 1) {
          gap = true; // lose the second packet of frame 3
          return;
        }
        out.push(...d.push(c, { lost: gap, marker: k === chunks.length - 1 }));
        gap = false;
      });
    });
    out.push(...d.flush());
    // frames 0-2 complete, 3-9 dropped (3 damaged, 4-9 not keyframes), 10.. resume at the IDR
    expect(out.map((a) => a.pts)).toEqual([0, 1, 2, ...Array.from({ length: 20 }, (_, i) => 10 + i)].map((i) => 1000 + i * FRAME));
    const want = new Set(h264.map((f) => f.data.toString('hex')));
    for (const a of out) expect(want.has(a.data.toString('hex'))).toBe(true);
    expect(d.stats.lossEvents).toBe(1);
  });

  it('push() without marker bits (no RTP) still emits each H.264 unit once the next one starts', () => {
    const d = new PsDemuxer();
    const ps = muxAll(h264.slice(0, 4));
    expect(d.push(ps[0])).toHaveLength(0);
    expect(d.push(ps[1]).map((a) => a.pts)).toEqual([1000]);
    expect(d.push(ps[2]).map((a) => a.pts)).toEqual([1000 + FRAME]);
  });

  it('muxAudio() G.711A frames come back as audio units with the PSM codec and PTS', () => {
    const pcm = fixtureBytes('g711a-8k-1s.bin');
    const m = new PsMuxer({ video: 'h264', audio: 'g711a' });
    const chunks: Buffer[] = [];
    for (let i = 0; i < 5; i++) {
      chunks.push(m.muxVideo(h264[i].data, i * FRAME, h264[i].key));
      chunks.push(m.muxAudio(pcm.subarray(i * 320, (i + 1) * 320), i * FRAME));
    }
    const d = new PsDemuxer();
    const out = demuxAll(chunks, d);
    const audio = out.filter((a) => a.kind === 'audio');
    expect(audio.map((a) => a.data)).toEqual([0, 1, 2, 3, 4].map((i) => pcm.subarray(i * 320, (i + 1) * 320)));
    expect(audio.every((a) => a.codec === 'g711a' && a.streamId === 0xc0)).toBe(true);
    expect(audio.map((a) => a.pts)).toEqual([0, 1, 2, 3, 4].map((i) => i * FRAME));
    expect(video(out)).toHaveLength(5);
    expect(d.streams.map((s) => s.codec)).toEqual(['g711a', 'h264']);
  });

  it('push() of an unbounded video PES (length 0) ends it at the next start code', () => {
    const frames = h264.slice(0, 3);
    const parts = muxAll(frames).map((ps) => {
      const b = Buffer.from(ps);
      const i = b.indexOf(Buffer.from('000001e0', 'hex'));
      b.writeUInt16BE(0, i + 4);
      return b;
    });
    expect(demuxAll(parts).map((a) => a.data)).toEqual(frames.map((f) => f.data));
  });

  it('push() of an MPEG-1 pack header with stuffing in the MPEG-2 form is parsed', () => {
    const ps = muxAll(h264.slice(0, 2));
    // MPEG-2 pack header with 3 stuffing bytes
    const stuffed = ps.map((b) => Buffer.concat([b.subarray(0, 13), Buffer.from([0xfb, 0xff, 0xff, 0xff]), b.subarray(14)]));
    const mpeg1Pack = Buffer.from('000001ba2100010001800001', 'hex');
    const d = new PsDemuxer();
    const out = demuxAll([mpeg1Pack, ...stuffed], d);
    expect(out).toHaveLength(2);
    expect(d.stats.packs).toBe(3);
    expect(d.stats.malformed).toBe(0);
  });

  it('push() beyond maxPesBytes throws PS_PES_TOO_LARGE', () => {
    const d = new PsDemuxer({ maxPesBytes: 2000 });
    const ps = muxAll(h264.slice(0, 1))[0];
    expect(() => d.push(ps)).toThrow(expect.objectContaining({ code: 'PS_PES_TOO_LARGE' }));
  });

  it('push() of random and mutated PS throws nothing but Gb28181Error and does not hang (fuzz, seed 13818)', () => {
    const base = Buffer.concat(muxAll(h264.slice(0, 3)));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)),
          fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 40 }).map((muts) => {
            const b = Buffer.from(base);
            for (const [i, v] of muts) b[i] = v;
            return b;
          }),
        ),
        fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        (bytes, cuts, lossy) => {
          const d = new PsDemuxer({ maxPesBytes: 1 << 20 });
          let o = 0;
          let k = 0;
          try {
            while (o < bytes.length) {
              const n = cuts[k++ % cuts.length];
              for (const a of d.push(bytes.subarray(o, o + n), { lost: lossy && k % 3 === 0, marker: k % 2 === 0 })) {
                expect(a.data.length).toBeGreaterThan(0);
              }
              o += n;
            }
            d.flush();
          } catch (e) {
            expect(e).toBeInstanceOf(Gb28181Error);
          }
        },
      ),
      { seed: 13818, numRuns: 400 },
    );
  });
});
