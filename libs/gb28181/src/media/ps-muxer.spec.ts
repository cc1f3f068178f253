import { describe, expect, it } from 'vitest';
import { PsDemuxer } from './ps-demuxer';
import { PsMuxer } from './ps-muxer';
import { GATEWAY_AAC_CONFIG, aacSilentFrame, adtsFrame } from './aac.codec';

const sc = Buffer.from([0, 0, 0, 1]);
const IDR = Buffer.concat([sc, Buffer.from('6742c01e95a0b0497cb8088000000300800000190478b175', 'hex'), sc, Buffer.from('68ce3c80', 'hex'), sc, Buffer.from([0x65, 0x88, 0x84, 0x21]), Buffer.alloc(50_000, 0x11)]);

describe('PsMuxer.muxVideo() with audioFirst', () => {
  it('puts the audio frame after the PSM and before a large keyframe, so a reader of the first 32 KiB finds both streams', () => {
    const m = new PsMuxer({ video: 'h264', audio: 'aac' });
    const lead = adtsFrame(GATEWAY_AAC_CONFIG, aacSilentFrame(1));
    const ps = m.muxVideo(IDR, 90_000, true, lead);
    const audioAt = ps.indexOf(Buffer.from([0, 0, 1, 0xc0]));
    const videoAt = ps.indexOf(Buffer.from([0, 0, 1, 0xe0]));
    expect(ps.indexOf(Buffer.from([0, 0, 1, 0xbc]))).toBeLessThan(audioAt);
    expect(audioAt).toBeLessThan(videoAt);
    expect(audioAt).toBeLessThan(200);
    const d = new PsDemuxer();
    const units = [...d.push(ps), ...d.push(m.muxVideo(Buffer.concat([sc, Buffer.from([0x41, 0x9a])]), 93_600, false))];
    expect(units.map((u) => `${u.kind}:${u.codec}:${u.pts}`)).toEqual(['audio:aac:90000', 'video:h264:90000']);
    expect(units[0]!.data).toEqual(lead);
  });

  it('refuses audioFirst when the muxer has no audio codec (PS_MUX_NO_AUDIO)', () => {
    expect(() => new PsMuxer({ video: 'h264' }).muxVideo(IDR, 0, true, Buffer.alloc(7))).toThrow(expect.objectContaining({ code: 'PS_MUX_NO_AUDIO' }));
  });
});

describe('PsMuxer with declareAudio: false (a camera that does not name its audio)', () => {
  it('leaves the audio out of the PSM and the system header; the demuxer still guesses ADTS AAC from the payload, not G.711', () => {
    const aac = new PsMuxer({ video: 'h264', audio: 'aac', declareAudio: false });
    const d = new PsDemuxer();
    const frame = adtsFrame(GATEWAY_AAC_CONFIG, aacSilentFrame(1));
    const units = [...d.push(aac.muxVideo(IDR, 90_000, true)), ...d.push(aac.muxAudio(frame, 91_000)), ...d.push(aac.muxVideo(Buffer.concat([sc, Buffer.from([0x41, 0x9a])]), 93_600, false))];
    expect(d.streams.map((s) => `${s.kind}:${s.codec}:${s.source}`).sort()).toEqual(['audio:aac:guess', 'video:h264:psm']);
    expect(units.map((u) => `${u.kind}:${u.codec}`).sort()).toEqual(['audio:aac', 'video:h264']);
    const declared = new PsMuxer({ video: 'h264', audio: 'aac' }).muxVideo(IDR, 90_000, true);
    expect(aac.muxVideo(IDR, 90_000, true).length).toBe(declared.length - 3 - 4); // one stream entry fewer in each

    const g711 = new PsMuxer({ video: 'h264', audio: 'g711a', declareAudio: false });
    const d2 = new PsDemuxer();
    const u2 = [...d2.push(g711.muxVideo(IDR, 90_000, true)), ...d2.push(g711.muxAudio(Buffer.alloc(160, 0xd5), 91_000)), ...d2.push(g711.muxVideo(Buffer.concat([sc, Buffer.from([0x41, 0x9a])]), 93_600, false))];
    expect(u2.filter((u) => u.kind === 'audio').map((u) => u.codec)).toEqual(['unknown']);
  });
});
