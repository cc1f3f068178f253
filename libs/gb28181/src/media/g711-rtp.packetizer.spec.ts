import { describe, expect, it } from 'vitest';
import { decodeG711, encodeG711 } from './g711.codec';
import { G711_RTP_SAMPLES_PER_PACKET, G711RtpPacketizer, transcodeG711 } from './g711-rtp.packetizer';
import { parseRtpPacket } from './rtp.codec';

const tone = (n: number) => Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));

describe('G711RtpPacketizer', () => {
  it('splits a unit into 20 ms packets of payload type 8 (PCMA) with the PTS on the 8 kHz clock', () => {
    const p = new G711RtpPacketizer('alaw', 7, 100);
    const data = encodeG711('alaw', tone(400));
    const packets = p.push({ data, pts: 90_000 }, 'alaw').map((b) => parseRtpPacket(b));
    expect(packets.map((x) => x.payload.length)).toEqual([G711_RTP_SAMPLES_PER_PACKET, G711_RTP_SAMPLES_PER_PACKET, 80]);
    expect(packets.map((x) => x.timestamp)).toEqual([8000, 8160, 8320]);
    expect(packets.map((x) => x.sequenceNumber)).toEqual([100, 101, 102]);
    expect(packets.every((x) => x.payloadType === 8 && x.ssrc === 7)).toBe(true);
    expect(Buffer.concat(packets.map((x) => x.payload))).toEqual(data);
    // no PTS: continues after the previous unit
    expect(parseRtpPacket(p.push({ data: data.subarray(0, 160) }, 'alaw')[0]!).timestamp).toBe(8400);
  });

  it('re-codes µ-law units as A-law (PCMA) and back, within one quantisation step of the signal', () => {
    const pcm = tone(160);
    const u = encodeG711('ulaw', pcm);
    const a = transcodeG711('ulaw', 'alaw', u);
    const back = decodeG711('alaw', a);
    const ref = decodeG711('ulaw', u);
    for (let i = 0; i < pcm.length; i++) expect(Math.abs(back[i]! - ref[i]!)).toBeLessThanOrEqual(Math.max(16, Math.abs(ref[i]!) / 16));
    const p = new G711RtpPacketizer('ulaw');
    expect(parseRtpPacket(p.push({ data: a, pts: 0 }, 'alaw')[0]!).payloadType).toBe(0);
    expect(transcodeG711('alaw', 'alaw', a)).toBe(a);
  });
});
