import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { ALAW_TO_LINEAR, G711_SILENCE_BYTE, ULAW_TO_LINEAR, decodeG711, encodeG711, linearToAlaw, linearToUlaw } from './g711.codec';

const sha256 = (t: Int16Array) => createHash('sha256').update(Buffer.from(t.buffer, t.byteOffset, t.byteLength)).digest('hex');

describe('G.711 decode tables', () => {
  it('A-law decodes to the ITU-T G.711 levels: 0xD5 → 8, 0x55 → −8, 0xAA → 32256, 0x2A → −32256, 0x80 → 5504, 0x00 → −5504', () => {
    expect([0xd5, 0x55, 0xaa, 0x2a, 0x80, 0x00].map((b) => ALAW_TO_LINEAR[b])).toEqual([8, -8, 32256, -32256, 5504, -5504]);
  });

  it('µ-law decodes to the ITU-T G.711 levels: 0xFF and 0x7F → 0, 0x00 → −32124, 0x80 → 32124, 0xFE → 8, 0x7E → −8', () => {
    expect([0xff, 0x7f, 0x00, 0x80, 0xfe, 0x7e].map((b) => ULAW_TO_LINEAR[b])).toEqual([0, 0, -32124, 32124, 8, -8]);
  });

  it('both whole tables equal what ffmpeg 4.x pcm_alaw / pcm_mulaw decode the 256 byte values to (golden hashes)', () => {
    // ffmpeg -f alaw|mulaw -ar 8000 -i <bytes 0..255> -f s16le: the hashes of its output
    expect(sha256(ALAW_TO_LINEAR as Int16Array)).toBe('e04788d110e58ff8c70c93b8480190d973e3b67876b6119abbaec766cc75c174');
    expect(sha256(ULAW_TO_LINEAR as Int16Array)).toBe('3dab54339e520bb2c924826e3b72a917a2b612e9fd12fc867500f1d983a75827');
  });

  it('both laws are odd-symmetric: the byte with the sign bit flipped decodes to the negated level (µ-law zero twice)', () => {
    for (let b = 0; b < 128; b++) {
      expect(ALAW_TO_LINEAR[b | 0x80]).toBe(-ALAW_TO_LINEAR[b]!);
      expect(ULAW_TO_LINEAR[b | 0x80]! + ULAW_TO_LINEAR[b]!).toBe(0);
    }
  });

  it('the silence bytes decode to the smallest level', () => {
    expect(Math.abs(ALAW_TO_LINEAR[G711_SILENCE_BYTE.alaw]!)).toBe(8);
    expect(ULAW_TO_LINEAR[G711_SILENCE_BYTE.ulaw]).toBe(0);
  });

  it('decodeG711() maps every byte through its table', () => {
    const bytes = Uint8Array.from([0xd5, 0xaa, 0x00]);
    expect([...decodeG711('alaw', bytes)]).toEqual([8, 32256, -5504]);
    expect([...decodeG711('ulaw', bytes)]).toEqual([716, 5372, -32124]);
  });
});

describe('G.711 encode', () => {
  it('every code round-trips: encode(decode(b)) decodes to the same level (A-law: the same byte)', () => {
    for (let b = 0; b < 256; b++) {
      expect(linearToAlaw(ALAW_TO_LINEAR[b]!)).toBe(b);
      expect(ULAW_TO_LINEAR[linearToUlaw(ULAW_TO_LINEAR[b]!)]).toBe(ULAW_TO_LINEAR[b]);
    }
  });

  it('the error of encode then decode stays within one quantisation step of the 16-bit input (≤ 1/16 of its level + 64)', () => {
    for (let s = -32768; s <= 32767; s += 7) {
      for (const law of ['alaw', 'ulaw'] as const) {
        const back = decodeG711(law, encodeG711(law, [s]))[0]!;
        expect(Math.abs(back - s), `${law} ${s} -> ${back}`).toBeLessThanOrEqual(Math.abs(s) / 16 + 132);
      }
    }
  });

  it('out-of-range and fractional inputs are clipped and rounded, never throw', () => {
    expect(linearToAlaw(1e9)).toBe(linearToAlaw(32767));
    expect(linearToUlaw(-1e9)).toBe(linearToUlaw(-32768));
    expect(linearToAlaw(7.6)).toBe(linearToAlaw(8));
  });
});
