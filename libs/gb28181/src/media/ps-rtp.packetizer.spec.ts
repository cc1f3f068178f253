import { describe, expect, it } from 'vitest';
import { Gb28181Error } from '../errors';
import { fixtureBytes, fixtureFrames } from '../../../../test/fixtures/media/media-fixtures';
import { H264_NAL, h264NalType, splitAnnexB } from './nal';
import { PsDemuxer, type PsAccessUnit } from './ps-demuxer';
import { PS_RTP_PAYLOAD_TYPE, PsRtpPacketizer } from './ps-rtp.packetizer';
import { parseRtpPacket, type RtpPacket } from './rtp.codec';

const h264 = fixtureFrames('h264-176x144-30f'); // IDR at 0, 10, 20
const h265 = fixtureFrames('h265-200x120-30f');
const alaw = fixtureBytes('g711a-8k-1s.bin');
const FRAME = 3600; // 25 fps at 90 kHz
const SSRC = 200000001; // y=0200000001

const videoUnits = (frames = h264, codec: 'h264' | 'h265' = 'h264', pts0 = 90_000): PsAccessUnit[] =>
  frames.map((f, i) => ({ kind: 'video', codec, streamId: 0xe0, pts: pts0 + i * FRAME, keyframe: f.key, data: f.data }));
/** The k-th 40 ms of A-law (320 bytes; the 1 s fixture holds 25) at the given PTS. */
const audioUnit = (pts: number, k: number): PsAccessUnit => ({ kind: 'audio', codec: 'g711a', streamId: 0xc0, pts, keyframe: false, data: alaw.subarray((k % 25) * 320, (k % 25) * 320 + 320) });

function sendAll(p: PsRtpPacketizer, units: PsAccessUnit[]): RtpPacket[] {
  return units.flatMap((u) => p.push(u)).map((b) => parseRtpPacket(b));
}

/** What a receiver (the superior) gets back: PsDemuxer fed the RTP payloads with their marker bits. */
function demux(pkts: RtpPacket[]): { units: PsAccessUnit[]; d: PsDemuxer } {
  const d = new PsDemuxer();
  const units = [...pkts.flatMap((p) => d.push(p.payload, { marker: p.marker })), ...d.flush()];
  return { units, d };
}

describe('PsRtpPacketizer', () => {
  it('push() of H.264 access units gives RTP with the SSRC, PT 96, consecutive sequence numbers, timestamp = PTS, marker on each frame\'s last packet', () => {
    const p = new PsRtpPacketizer({ ssrc: SSRC, firstSequence: 65530 });
    const perFrame = videoUnits().map((u) => p.push(u).map((b) => parseRtpPacket(b)));
    const all = perFrame.flat();
    expect(all.every((r) => r.ssrc === SSRC && r.payloadType === PS_RTP_PAYLOAD_TYPE && r.version === 2)).toBe(true);
    expect(all.map((r) => r.sequenceNumber)).toEqual(all.map((_, i) => (65530 + i) & 0xffff)); // wraps after 65535
    perFrame.forEach((pkts, i) => {
      expect(pkts.length).toBeGreaterThan(0);
      expect(pkts.map((r) => r.timestamp)).toEqual(pkts.map(() => 90_000 + i * FRAME));
      expect(pkts.map((r) => r.marker)).toEqual(pkts.map((_, k) => k === pkts.length - 1));
      expect(pkts.every((r) => r.payload.length <= 1400)).toBe(true);
    });
    expect(p.stats).toMatchObject({ videoFrames: 30, packets: all.length, droppedFrames: 0 });
  });

  it('the packets demux (PsDemuxer) back to the same H.264 access units, keyframes and PTS, with a PSM naming H.264 and the size 176x144', () => {
    const { units, d } = demux(sendAll(new PsRtpPacketizer({ ssrc: SSRC }), videoUnits()));
    expect(units.map((u) => u.data)).toEqual(h264.map((f) => f.data));
    expect(units.map((u) => u.keyframe)).toEqual(h264.map((f) => f.key));
    expect(units.map((u) => u.pts)).toEqual(h264.map((_, i) => 90_000 + i * FRAME));
    expect(d.streams[0]).toMatchObject({ codec: 'h264', source: 'psm', width: 176, height: 144 });
  });

  it('joining mid-GOP it starts at the next keyframe: the first packet opens with pack header, system header and PSM, and nothing before it is sent', () => {
    const p = new PsRtpPacketizer({ ssrc: SSRC });
    const pkts = sendAll(p, videoUnits().slice(3));
    const first = pkts[0]!.payload;
    expect(first.subarray(0, 4).toString('hex')).toBe('000001ba');
    expect(first.includes(Buffer.from('000001bb', 'hex'))).toBe(true);
    expect(first.includes(Buffer.from('000001bc', 'hex'))).toBe(true);
    expect(pkts[0]!.timestamp).toBe(90_000 + 10 * FRAME);
    expect(p.stats.droppedFrames).toBe(7);
    const { units } = demux(pkts);
    expect(units.map((u) => u.data)).toEqual(h264.slice(10).map((f) => f.data));
  });

  it('a keyframe that comes without SPS/PPS gets the last ones seen in front of its IDR', () => {
    const units = videoUnits();
    const stripped = Buffer.concat(
      splitAnnexB(units[10]!.data)
        .filter((n) => h264NalType(n) !== H264_NAL.SPS && h264NalType(n) !== H264_NAL.PPS)
        .flatMap((n) => [Buffer.from([0, 0, 0, 1]), n]),
    );
    units[10] = { ...units[10]!, data: stripped };
    const p = new PsRtpPacketizer({ ssrc: SSRC });
    const got = demux(sendAll(p, units)).units;
    const types = splitAnnexB(got[10]!.data).map(h264NalType);
    expect(types.slice(0, 2)).toEqual([H264_NAL.SPS, H264_NAL.PPS]);
    expect(types).toContain(H264_NAL.IDR);
    expect(p.stats.parameterSetsAdded).toBe(1);
  });

  it('audio goes in from the first keyframe after its codec showed (the PSM then declares G.711 A-law); audio before it is dropped', () => {
    const p = new PsRtpPacketizer({ ssrc: SSRC });
    const units: PsAccessUnit[] = [];
    videoUnits().forEach((v, i) => {
      units.push(v);
      if (i < 24) units.push(audioUnit(v.pts! + 100, i));
    });
    // audio shows from frame 0 on: the first keyframe (frame 0) already declares it; nothing is waiting but audio of
    // the moments before the first video frame
    const pkts = sendAll(p, [audioUnit(1000, 0), ...units]);
    const { units: got, d } = demux(pkts);
    const audio = got.filter((u) => u.kind === 'audio');
    expect(audio).toHaveLength(24);
    expect(audio.every((u) => u.codec === 'g711a')).toBe(true);
    expect(audio[0]!.data).toEqual(alaw.subarray(0, 320));
    expect(got.filter((u) => u.kind === 'video')).toHaveLength(30);
    expect(d.streams.map((s) => s.codec).sort()).toEqual(['g711a', 'h264']);
    expect(p.stats).toMatchObject({ audioFrames: 24, droppedFrames: 1 });
  });

  it('audio that first shows mid-GOP waits for the next keyframe, whose PSM declares it', () => {
    const p = new PsRtpPacketizer({ ssrc: SSRC });
    const units: PsAccessUnit[] = [];
    videoUnits().forEach((v, i) => {
      units.push(v);
      if (i >= 5) units.push(audioUnit(v.pts! + 100, i));
    });
    const { units: got } = demux(sendAll(p, units));
    const audio = got.filter((u) => u.kind === 'audio');
    expect(audio[0]!.pts).toBe(90_000 + 10 * FRAME + 100); // frames 5..9 had no PSM entry yet
    expect(audio).toHaveLength(20);
  });

  it('resync() drops up to the next keyframe; push(keyframe, ready=false) keeps waiting; the stream then goes on decodable', () => {
    const p = new PsRtpPacketizer({ ssrc: SSRC });
    const units = videoUnits();
    const out: RtpPacket[] = [];
    const push = (u: PsAccessUnit, ready = true) => out.push(...p.push(u, ready).map((b) => parseRtpPacket(b)));
    units.slice(0, 4).forEach((u) => push(u));
    p.resync();
    expect(p.waiting).toBe(true);
    units.slice(4, 10).forEach((u) => push(u));
    push(units[10]!, false); // the keyframe comes while the queue is still full
    units.slice(11, 20).forEach((u) => push(u));
    units.slice(20).forEach((u) => push(u));
    expect(p.waiting).toBe(false);
    const { units: got } = demux(out);
    expect(got.map((u) => u.pts)).toEqual([...units.slice(0, 4), ...units.slice(20)].map((u) => u.pts));
    expect(p.stats.droppedFrames).toBe(16);
    // sequence numbers stay consecutive across the gap: the receiver sees no loss, only a timestamp jump
    expect(out.map((r) => r.sequenceNumber)).toEqual(out.map((_, i) => (out[0]!.sequenceNumber + i) & 0xffff));
  });

  it('H.265 goes through too; a PTS past 2^32 gives the RTP timestamp modulo 2^32 and the PES the full 33 bits', () => {
    const pts0 = 2 ** 32 + 5;
    const pkts = sendAll(new PsRtpPacketizer({ ssrc: 1 }), videoUnits(h265, 'h265', pts0));
    expect(pkts[0]!.timestamp).toBe(5);
    const { units, d } = demux(pkts);
    expect(units).toHaveLength(30);
    expect(units[0]!.pts).toBe(pts0);
    expect(d.streams[0]).toMatchObject({ codec: 'h265', width: 200, height: 120 });
  });

  it('units of codecs PS over RTP does not carry here are counted and left out; a bad SSRC is refused', () => {
    const p = new PsRtpPacketizer({ ssrc: SSRC });
    expect(p.push({ kind: 'video', codec: 'mpeg4', streamId: 0xe0, pts: 0, keyframe: true, data: Buffer.from([0, 0, 1, 0xb0]) })).toEqual([]);
    expect(p.push({ kind: 'audio', codec: 'unknown', streamId: 0xc0, pts: 0, keyframe: false, data: Buffer.alloc(4) })).toEqual([]);
    expect(p.stats.unsupportedUnits).toBe(2);
    expect(() => new PsRtpPacketizer({ ssrc: 2 ** 32 })).toThrow(Gb28181Error);
    expect(() => new PsRtpPacketizer({ ssrc: -1 })).toThrow(Gb28181Error);
  });
});
