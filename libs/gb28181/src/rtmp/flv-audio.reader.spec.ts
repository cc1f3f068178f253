import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Gb28181Error } from '../errors';
import { readAdtsFrame } from '../media/aac.codec';
import { FlvAudioReader, MAX_FLV_AAC_RAW_BYTES, MAX_FLV_G711_BYTES, readAudioSpecificConfig } from './flv-audio.reader';

function expectCode(f: () => unknown, code: string): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(Gb28181Error);
    expect((e as Gb28181Error).code).toBe(code);
    return;
  }
  throw new Error(`no ${code} thrown`);
}

/** AAC-LC 44.1 kHz stereo (what ffmpeg's FLV muxer writes for `-c:a aac -ar 44100 -ac 2`). */
const ASC_LC_44K_STEREO = Buffer.from([0x12, 0x10]);
const aacTag = (type: number, body: Buffer) => Buffer.concat([Buffer.from([0xaf, type]), body]);

describe('readAudioSpecificConfig', () => {
  it('reads LC 44.1 kHz stereo, LC 16 kHz mono and the core of explicit HE-AAC (object type 5 → LC at the core rate)', () => {
    expect(readAudioSpecificConfig(ASC_LC_44K_STEREO)).toEqual({ objectType: 2, rateIndex: 4, channels: 2 });
    expect(readAudioSpecificConfig(Buffer.from([0x14, 0x08]))).toEqual({ objectType: 2, rateIndex: 8, channels: 1 });
    // HE-AAC: aot 5, core 24 kHz (6), stereo, extension 48 kHz (3), aot 2.
    const heaac = Buffer.from([(5 << 3) | (6 >> 1), ((6 & 1) << 7) | (2 << 3) | (3 >> 1), ((3 & 1) << 7) | (2 << 2), 0]);
    expect(readAudioSpecificConfig(heaac)).toEqual({ objectType: 2, rateIndex: 6, channels: 2 });
  });

  it('refuses what ADTS cannot carry: RTMP_BAD_AUDIO for short, escaped, explicit-rate, PCE and non-LC-family configs', () => {
    expectCode(() => readAudioSpecificConfig(Buffer.from([0x12])), 'RTMP_BAD_AUDIO');
    expectCode(() => readAudioSpecificConfig(Buffer.from([0xf8, 0x00])), 'RTMP_BAD_AUDIO'); // object type 31
    expectCode(() => readAudioSpecificConfig(Buffer.from([0x17, 0x80, 0, 0, 0, 0])), 'RTMP_BAD_AUDIO'); // rate index 15
    expectCode(() => readAudioSpecificConfig(Buffer.from([0x12, 0x00])), 'RTMP_BAD_AUDIO'); // channel configuration 0
    expectCode(() => readAudioSpecificConfig(Buffer.from([0x2a, 0x10])), 'RTMP_BAD_AUDIO'); // object type 5 cut short
    expectCode(() => readAudioSpecificConfig(Buffer.from([0x3a, 0x10])), 'RTMP_BAD_AUDIO'); // object type 7 (TwinVQ)
  });
});

describe('FlvAudioReader', () => {
  it('an AAC sequence header then raw frames: each frame comes out as one ADTS frame with the config and the RTMP time', () => {
    const r = new FlvAudioReader();
    expect(r.push(aacTag(1, Buffer.from([1, 2, 3])), 0)).toEqual({ kind: 'dropped', reason: 'AAC frame before its sequence header' });
    expect(r.push(aacTag(0, ASC_LC_44K_STEREO), 0)).toEqual({ kind: 'config' });
    const raw = Buffer.alloc(200, 0x5a);
    const res = r.push(aacTag(1, raw), 23);
    expect(res.kind).toBe('frame');
    if (res.kind !== 'frame') return;
    expect(res.frame.codec).toBe('aac');
    expect(res.frame.timestamp).toBe(23);
    const adts = readAdtsFrame(res.frame.data)!;
    expect(adts.config).toEqual({ objectType: 2, rateIndex: 4, channels: 2 });
    expect(adts.raw.equals(raw)).toBe(true);
    expect(adts.frame.length).toBe(res.frame.data.length);
  });

  it('mono G.711 A-law and µ-law pass as they are; stereo G.711, MP3, Speex and empty frames are dropped with a reason', () => {
    const r = new FlvAudioReader();
    const pcm = Buffer.alloc(160, 0xd5);
    expect(r.push(Buffer.concat([Buffer.from([0x72]), pcm]), 40)).toEqual({ kind: 'frame', frame: { codec: 'g711a', data: pcm, timestamp: 40 } });
    expect(r.push(Buffer.concat([Buffer.from([0x82]), pcm]), 60)).toEqual({ kind: 'frame', frame: { codec: 'g711u', data: pcm, timestamp: 60 } });
    expect(r.push(Buffer.concat([Buffer.from([0x73]), pcm]), 0)).toEqual({ kind: 'dropped', reason: 'stereo G.711' });
    expect(r.push(Buffer.from([0x72]), 0)).toEqual({ kind: 'dropped', reason: 'empty G.711 frame' });
    expect(r.push(Buffer.from([0x2f, 0xff, 0xfb]), 0)).toEqual({ kind: 'dropped', reason: 'sound format 2' });
    expect(r.push(Buffer.from([0xb6, 1, 2]), 0)).toEqual({ kind: 'dropped', reason: 'sound format 11' });
  });

  it('hostile tags: empty, AAC without packet type, unknown packet type, bad config and oversized frames throw RTMP_BAD_AUDIO', () => {
    const r = new FlvAudioReader();
    expectCode(() => r.push(Buffer.alloc(0), 0), 'RTMP_BAD_AUDIO');
    expectCode(() => r.push(Buffer.from([0xaf]), 0), 'RTMP_BAD_AUDIO');
    expectCode(() => r.push(aacTag(2, Buffer.from([1])), 0), 'RTMP_BAD_AUDIO');
    expectCode(() => r.push(aacTag(0, Buffer.from([0x12])), 0), 'RTMP_BAD_AUDIO');
    r.push(aacTag(0, ASC_LC_44K_STEREO), 0);
    expect(r.push(aacTag(1, Buffer.alloc(MAX_FLV_AAC_RAW_BYTES)), 0).kind).toBe('frame');
    expectCode(() => r.push(aacTag(1, Buffer.alloc(MAX_FLV_AAC_RAW_BYTES + 1)), 0), 'RTMP_BAD_AUDIO');
    expect(r.push(Buffer.concat([Buffer.from([0x72]), Buffer.alloc(MAX_FLV_G711_BYTES)]), 0).kind).toBe('frame');
    expectCode(() => r.push(Buffer.concat([Buffer.from([0x72]), Buffer.alloc(MAX_FLV_G711_BYTES + 1)]), 0), 'RTMP_BAD_AUDIO');
  });

  it('fuzz: any bytes either give a result or throw RTMP_BAD_AUDIO; AAC frames out are valid ADTS', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (tags) => {
        const r = new FlvAudioReader();
        for (const t of tags) {
          try {
            const res = r.push(Buffer.from(t), 0);
            if (res.kind === 'frame' && res.frame.codec === 'aac') expect(readAdtsFrame(res.frame.data)?.frame.length).toBe(res.frame.data.length);
          } catch (e) {
            expect((e as Gb28181Error).code).toBe('RTMP_BAD_AUDIO');
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
