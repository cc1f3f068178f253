import { describe, expect, it } from 'vitest';
import { parseRtpPacket, serializeRtpPacket } from './rtp.codec';
import { VOICE_MAX_RTP_PAYLOAD_BYTES, VOICE_SAMPLES_PER_PACKET, VoiceRtpDecoder, VoiceRtpEncoder, pcmRms, pcmTone } from './voice-rtp';

describe('VoiceRtpEncoder / VoiceRtpDecoder', () => {
  it.each([
    ['PCMA', 'alaw', 8],
    ['PCMU', 'ulaw', 0],
    ['PS', 'alaw', 96],
    ['PS', 'ulaw', 96],
  ] as const)('a 440 Hz tone as %s (%s) in 20 ms packets decodes back to the same energy', (payload, law, pt) => {
    const enc = new VoiceRtpEncoder(payload, law, 1234, pt);
    const dec = new VoiceRtpDecoder(payload, law, pt);
    const tone = pcmTone(440, 8000, 0, 1000); // 125 ms: 6 whole packets, 40 samples wait
    const packets = enc.push(tone);
    if (payload !== 'PS') expect(packets).toHaveLength(6);
    expect(parseRtpPacket(packets[1]!)).toMatchObject({ payloadType: pt, ssrc: 1234, sequenceNumber: 1 });
    if (payload !== 'PS') expect(parseRtpPacket(packets[1]!).timestamp).toBe(VOICE_SAMPLES_PER_PACKET);
    const out = packets.flatMap((p) => dec.push(p));
    // PS: the demuxer emits an audio unit when the next pack starts, so the last one may still be held
    const samples = out.reduce((n, f) => n + f.length, 0);
    expect(samples).toBeGreaterThanOrEqual(payload === 'PS' ? 800 : 960);
    const joined = new Int16Array(samples);
    let o = 0;
    for (const f of out) joined.set(f, (o += f.length) - f.length);
    expect(pcmRms(joined)).toBeGreaterThan(5000);
    expect(pcmRms(joined)).toBeLessThan(6000); // 8000 / √2 ≈ 5657, G.711 keeps it within a few %
    expect(enc.push(new Int16Array(120))).toHaveLength(1); // 40 waiting + 120 = one packet
  });

  it('VoiceRtpDecoder drops unreadable packets, other payload types and oversized payloads without throwing', () => {
    const dec = new VoiceRtpDecoder('PCMA', 'alaw', 8);
    expect(dec.push(Buffer.from([1, 2, 3]))).toEqual([]);
    expect(dec.push(serializeRtpPacket({ payloadType: 0, ssrc: 1, sequenceNumber: 1, timestamp: 0, payload: Buffer.alloc(160) }))).toEqual([]);
    expect(dec.push(serializeRtpPacket({ payloadType: 8, ssrc: 1, sequenceNumber: 2, timestamp: 0, payload: Buffer.alloc(VOICE_MAX_RTP_PAYLOAD_BYTES + 1) }))).toEqual([]);
    expect(dec.stats).toMatchObject({ packets: 0, dropped: 3 });
  });

  it('VoiceRtpDecoder of PS survives garbage payloads', () => {
    const dec = new VoiceRtpDecoder('PS', 'alaw', 96);
    for (let i = 0; i < 50; i++) dec.push(serializeRtpPacket({ payloadType: 96, ssrc: 1, sequenceNumber: i, timestamp: 0, payload: Buffer.alloc(1000, i * 7) }));
    expect(dec.stats.packets + dec.stats.dropped).toBe(50);
  });

  it('pcmRms() of silence is 0', () => {
    expect(pcmRms(new Int16Array(160))).toBe(0);
    expect(pcmRms(new Int16Array(0))).toBe(0);
  });
});
