import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isGb28181Error } from '../errors';
import { AAC_SAMPLE_RATES, AdtsFramer, GATEWAY_AAC_CONFIG, aacFrameDuration90k, aacSilentFrame, adtsFrame, audioSpecificConfig, readAdtsFrame, sameAacConfig } from './aac.codec';

/** One ADTS frame as ffmpeg's aac encoder writes it for 16 kHz mono (header fields checked bit by bit below). */
const FFMPEG_HEADER = Buffer.from('fff16040', 'hex');

describe('AudioSpecificConfig', () => {
  it('AAC-LC 16 kHz mono is 0x14 0x08 (object type 2, index 8, one channel), 44.1 kHz stereo 0x12 0x10', () => {
    expect(audioSpecificConfig(GATEWAY_AAC_CONFIG).toString('hex')).toBe('1408');
    expect(audioSpecificConfig({ objectType: 2, rateIndex: 4, channels: 2 }).toString('hex')).toBe('1210');
  });

  it('refuses a reserved rate index or a channel count out of range with AAC_BAD_CONFIG', () => {
    expect(() => audioSpecificConfig({ objectType: 2, rateIndex: 13, channels: 1 })).toThrow(expect.objectContaining({ code: 'AAC_BAD_CONFIG' }));
    expect(() => audioSpecificConfig({ objectType: 2, rateIndex: 8, channels: 0 })).toThrow(expect.objectContaining({ code: 'AAC_BAD_CONFIG' }));
  });

  it('a frame lasts 1024 samples: 5760 ticks of 90 kHz at 16 kHz, 1920 at 48 kHz', () => {
    expect(aacFrameDuration90k(GATEWAY_AAC_CONFIG)).toBe(5760);
    expect(aacFrameDuration90k({ objectType: 2, rateIndex: 3, channels: 2 })).toBe(1920);
  });
});

describe('ADTS', () => {
  it('adtsFrame() writes a 7-byte header whose fields readAdtsFrame() reads back, with the payload after it', () => {
    const raw = Buffer.from([1, 2, 3, 4, 5]);
    const f = adtsFrame(GATEWAY_AAC_CONFIG, raw);
    expect(f.subarray(0, 4)).toEqual(FFMPEG_HEADER);
    expect(f.length).toBe(12);
    const r = readAdtsFrame(f)!;
    expect(r.config).toEqual(GATEWAY_AAC_CONFIG);
    expect(r.raw).toEqual(raw);
    expect(r.frame).toEqual(f);
  });

  it('readAdtsFrame() returns null until the whole frame is there, and reads a 9-byte header with CRC', () => {
    const f = adtsFrame(GATEWAY_AAC_CONFIG, Buffer.alloc(20, 7));
    expect(readAdtsFrame(f.subarray(0, 6))).toBeNull();
    expect(readAdtsFrame(f.subarray(0, 26))).toBeNull();
    const crc = Buffer.concat([f.subarray(0, 7), Buffer.from([0xab, 0xcd]), Buffer.alloc(20, 7)]);
    crc[1] = 0xf0; // protection_absent = 0
    const len = crc.length;
    crc[3] = (crc[3]! & 0xfc) | (len >> 11);
    crc[4] = (len >> 3) & 0xff;
    crc[5] = ((len & 7) << 5) | 0x1f;
    expect(readAdtsFrame(crc)!.raw).toEqual(Buffer.alloc(20, 7));
  });

  it('hostile headers are refused with coded errors: no syncword, a reserved rate, a length inside the header, several raw blocks, channel config 0', () => {
    const good = adtsFrame(GATEWAY_AAC_CONFIG, Buffer.alloc(4));
    const bad = (patch: (b: Buffer) => void) => {
      const b = Buffer.from(good);
      patch(b);
      try {
        readAdtsFrame(b);
      } catch (e) {
        return isGb28181Error(e) ? e.code : 'not coded';
      }
      return 'accepted';
    };
    expect(bad((b) => (b[0] = 0xfe))).toBe('ADTS_BAD_HEADER');
    expect(bad((b) => (b[2] = (b[2]! & 0xc3) | (14 << 2)))).toBe('ADTS_BAD_HEADER');
    expect(bad((b) => ((b[3] = b[3]! & 0xfc), (b[4] = 0), (b[5] = 0xbf)))).toBe('ADTS_BAD_HEADER');
    expect(bad((b) => (b[6] = 0xfd))).toBe('ADTS_UNSUPPORTED');
    expect(bad((b) => ((b[2] = b[2]! & 0xfe), (b[3] = b[3]! & 0x3f)))).toBe('ADTS_UNSUPPORTED');
  });

  it('a payload too long for the 13-bit frame length is refused (AAC_FRAME_TOO_LARGE)', () => {
    expect(() => adtsFrame(GATEWAY_AAC_CONFIG, Buffer.alloc(8185))).toThrow(expect.objectContaining({ code: 'AAC_FRAME_TOO_LARGE' }));
    expect(adtsFrame(GATEWAY_AAC_CONFIG, Buffer.alloc(8184)).length).toBe(8191);
  });

  it('AdtsFramer finds frames across chunk boundaries and skips garbage between them', () => {
    const frames = [1, 2, 3].map((n) => adtsFrame({ objectType: 2, rateIndex: 4, channels: 2 }, Buffer.alloc(10 * n, n)));
    const stream = Buffer.concat([Buffer.from([0x00, 0xff, 0x12]), frames[0]!, Buffer.from('junk'), frames[1]!, frames[2]!]);
    const framer = new AdtsFramer();
    const got = [];
    for (let i = 0; i < stream.length; i += 5) got.push(...framer.push(stream.subarray(i, i + 5)));
    expect(got.map((f) => f.raw.length)).toEqual([10, 20, 30]);
    expect(got.every((f) => f.config.channels === 2 && AAC_SAMPLE_RATES[f.config.rateIndex] === 44100)).toBe(true);
    expect(framer.skippedBytes).toBe(7);
  });

  it('AdtsFramer on arbitrary bytes never throws and holds at most one frame (fuzz)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 8 }), (chunks) => {
        const framer = new AdtsFramer();
        for (const c of chunks) for (const f of framer.push(Buffer.from(c))) expect(f.frame.length).toBeLessThanOrEqual(8191);
      }),
    );
  });

  it('the silent frames are 6 bytes mono and 9 bytes stereo, and identical configs compare equal', () => {
    expect(aacSilentFrame(1).length).toBe(6);
    expect(aacSilentFrame(2).length).toBe(9);
    expect(() => aacSilentFrame(6)).toThrow(expect.objectContaining({ code: 'AAC_BAD_CONFIG' }));
    expect(sameAacConfig(GATEWAY_AAC_CONFIG, { objectType: 2, rateIndex: 8, channels: 1 })).toBe(true);
    expect(sameAacConfig(GATEWAY_AAC_CONFIG, { objectType: 2, rateIndex: 11, channels: 1 })).toBe(false);
  });
});
