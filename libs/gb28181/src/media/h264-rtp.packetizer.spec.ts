import { describe, expect, it } from 'vitest';
import { fixtureFrames } from '../../../../test/fixtures/media/media-fixtures';
import { H264_FU_A, H264RtpPacketizer } from './h264-rtp.packetizer';
import { H264_NAL, h264NalType, splitAnnexB } from './nal';
import { parseRtpPacket, type RtpPacket } from './rtp.codec';

const h264 = fixtureFrames('h264-176x144-30f'); // IDR at 0, 10, 20
const FRAME = 3600;
const annexB = (...nals: Buffer[]) => Buffer.concat(nals.flatMap((n) => [Buffer.from([0, 0, 0, 1]), n]));

/** RFC 6184 depacketisation (single NAL + FU-A) of one frame's packets, as a receiver does it. */
function depacketize(pkts: RtpPacket[]): Buffer[] {
  const out: Buffer[] = [];
  let fu: Buffer[] | null = null;
  for (const p of pkts) {
    const type = p.payload[0]! & 0x1f;
    if (type !== H264_FU_A) {
      out.push(p.payload);
      continue;
    }
    const h = p.payload[1]!;
    if (h & 0x80) fu = [Buffer.from([(p.payload[0]! & 0xe0) | (h & 0x1f)])];
    fu!.push(p.payload.subarray(2));
    if (h & 0x40) ((out.push(Buffer.concat(fu!)), (fu = null)));
  }
  return out;
}

describe('H264RtpPacketizer', () => {
  it('push() of the fixture round-trips: each frame depacketises to its NAL units (AUD left out), same timestamp on every packet, marker on the last only, consecutive sequence numbers across a wrap', () => {
    const p = new H264RtpPacketizer({ maxPayload: 200, firstSequence: 65533 });
    const seqs: number[] = [];
    h264.forEach((f, i) => {
      const r = p.push({ data: f.data, pts: 90_000 + i * FRAME })!;
      const pkts = r.packets.map((b) => parseRtpPacket(b));
      expect(pkts.map((x) => x.timestamp)).toEqual(pkts.map(() => 90_000 + i * FRAME));
      expect(pkts.map((x) => x.marker)).toEqual(pkts.map((_, k) => k === pkts.length - 1));
      expect(pkts.every((x) => x.payload.length <= 200)).toBe(true);
      seqs.push(...pkts.map((x) => x.sequenceNumber));
      const want = splitAnnexB(f.data).filter((n) => h264NalType(n) !== H264_NAL.AUD);
      expect(depacketize(pkts)).toEqual(want);
      expect(r.keyframe).toBe(f.key);
    });
    expect(seqs).toEqual(seqs.map((_, i) => (65533 + i) & 0xffff));
    expect(p.stats.frames).toBe(h264.length);
  });

  it('push() of a NAL unit larger than the payload splits it into FU-A: S on the first, E on the last, NRI kept, type in the FU header', () => {
    const p = new H264RtpPacketizer({ maxPayload: 100 });
    const sps = Buffer.from([0x67, 0x42, 0x00, 0x1e]);
    const pps = Buffer.from([0x68, 0xce, 0x38, 0x80]);
    const idr = Buffer.concat([Buffer.from([0x65]), Buffer.alloc(250, 0xab)]); // 1 + 250 bytes: 98 + 98 + 54
    const pkts = p.push({ data: annexB(sps, pps, idr), pts: 0 })!.packets.map((b) => parseRtpPacket(b));
    expect(pkts.map((x) => x.payload.length)).toEqual([4, 4, 100, 100, 56]);
    const fus = pkts.slice(2);
    expect(fus.map((x) => x.payload[0])).toEqual([0x60 | 28, 0x60 | 28, 0x60 | 28]); // F=0 NRI=3 type 28
    expect(fus.map((x) => x.payload[1])).toEqual([0x80 | 5, 5, 0x40 | 5]);
    expect(depacketize(pkts)[2]).toEqual(idr);
  });

  it('push() before the first IDR with SPS/PPS returns null (counted); the first keyframe starts the output', () => {
    const p = new H264RtpPacketizer();
    const slice = Buffer.from([0x41, 0x9a, 0x01]);
    expect(p.push({ data: annexB(slice), pts: 0 })).toBeNull();
    expect(p.push({ data: annexB(Buffer.from([0x65, 0x88])), pts: FRAME })).toBeNull(); // IDR but no SPS/PPS known yet
    expect(p.stats.droppedFrames).toBe(2);
    const r = p.push({ data: annexB(Buffer.from([0x67, 1]), Buffer.from([0x68, 2]), Buffer.from([0x65, 0x88])), pts: 2 * FRAME });
    expect(r?.keyframe).toBe(true);
    expect(p.push({ data: annexB(slice), pts: 3 * FRAME })?.keyframe).toBe(false);
  });

  it('push() of a later IDR without SPS/PPS puts the last ones seen in front of its slice', () => {
    const p = new H264RtpPacketizer();
    const sps = Buffer.from([0x67, 0x42, 0x00, 0x1e]);
    const pps = Buffer.from([0x68, 0xce]);
    p.push({ data: annexB(sps, pps, Buffer.from([0x65, 1])), pts: 0 });
    const r = p.push({ data: annexB(Buffer.from([0x06, 5, 0x80]), Buffer.from([0x65, 2])), pts: FRAME })!;
    expect(depacketize(r.packets.map((b) => parseRtpPacket(b)))).toEqual([Buffer.from([0x06, 5, 0x80]), sps, pps, Buffer.from([0x65, 2])]);
    expect(r.keyframe).toBe(true);
    expect(p.stats.parameterSetsAdded).toBe(1);
  });

  it('push() takes the PTS modulo 2^32 and, without one, the last timestamp plus one frame', () => {
    const p = new H264RtpPacketizer();
    const key = annexB(Buffer.from([0x67, 1]), Buffer.from([0x68, 2]), Buffer.from([0x65, 3]));
    expect(p.push({ data: key, pts: 2 ** 32 + 10 })!.timestamp).toBe(10);
    expect(p.push({ data: annexB(Buffer.from([0x41, 1])) })!.timestamp).toBe(10 + 3600);
  });

  it('push() of garbage (no start code, empty, only AUDs) never throws and sends nothing before a keyframe', () => {
    const p = new H264RtpPacketizer();
    for (const data of [Buffer.alloc(0), Buffer.from([0xff, 0xff, 0xff]), annexB(Buffer.from([0x09, 0xf0])), Buffer.alloc(5000, 0)]) {
      expect(p.push({ data, pts: 0 })).toBeNull();
    }
  });
});
