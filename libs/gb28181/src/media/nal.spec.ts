import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Gb28181Error } from '../errors';
import { fixtureBytes, fixtureFrames } from '../../../../test/fixtures/media/media-fixtures';
import { removeEmulationPrevention } from './exp-golomb.reader';
import {
  guessVideoCodec, h264NalType, h265NalType, isH264Keyframe, isH265Keyframe, parseH264Sps, parseH265Sps, splitAnnexB,
} from './nal';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('NAL helpers', () => {
  it('splitAnnexB() with 3- and 4-byte start codes returns the units without start codes or trailing zeros', () => {
    const units = splitAnnexB(hex('00000001 6742 000001 68ce 00 00000001 65888001'));
    expect(units).toEqual([hex('6742'), hex('68ce'), hex('65888001')]);
    expect(units.map(h264NalType)).toEqual([7, 8, 5]);
  });

  it('h265NalType() reads the 6-bit type from the 2-byte header (VPS 0x4001 -> 32, IDR_W_RADL 0x2601 -> 19)', () => {
    expect(h265NalType(hex('4001'))).toBe(32);
    expect(h265NalType(hex('2601'))).toBe(19);
  });

  it('removeEmulationPrevention() drops each 03 after 00 00', () => {
    expect(removeEmulationPrevention(hex('0000030100000302'))).toEqual(hex('00000100 0002'));
  });

  it('parseH264Sps() of the real camera SPS (1920x1088 coded, cropped) gives 1920x1080, Main profile, level 4.2', () => {
    // From real_cam_1080p15_midframe.ps, offset 0x6c6.
    const sps = hex('674d002a9e35c0f0044fcb37010101400002ee000057e401');
    expect(parseH264Sps(sps)).toEqual({ width: 1920, height: 1080, profileIdc: 77, levelIdc: 42 });
  });

  it('parseH264Sps() and parseH265Sps() of the fixtures give the ffprobe sizes (176x144, 200x120 with a conformance window)', () => {
    const h264 = splitAnnexB(fixtureBytes('h264-176x144-30f.bin')).find((n) => h264NalType(n) === 7)!;
    expect(parseH264Sps(h264)).toMatchObject({ width: 176, height: 144, profileIdc: 77 });
    const h265 = splitAnnexB(fixtureBytes('h265-200x120-30f.bin')).find((n) => h265NalType(n) === 33)!;
    expect(parseH265Sps(h265)).toMatchObject({ width: 200, height: 120, profileIdc: 1 });
  });

  it('isH264Keyframe() and isH265Keyframe() agree with ffprobe on every fixture frame', () => {
    for (const f of fixtureFrames('h264-176x144-30f')) expect(isH264Keyframe(f.data)).toBe(f.key);
    for (const f of fixtureFrames('h265-200x120-30f')) expect(isH265Keyframe(f.data)).toBe(f.key);
  });

  it('guessVideoCodec() tells H.264 from H.265 on every fixture frame', () => {
    for (const f of fixtureFrames('h264-176x144-30f')) expect(guessVideoCodec(f.data)).toBe('h264');
    for (const f of fixtureFrames('h265-200x120-30f')) expect(guessVideoCodec(f.data)).toBe('h265');
  });

  it('parseH264Sps() of a truncated SPS throws NAL_TRUNCATED; of a PPS throws NAL_NOT_SPS', () => {
    expect(() => parseH264Sps(hex('674d002a'))).toThrow(expect.objectContaining({ code: 'NAL_TRUNCATED' }));
    expect(() => parseH264Sps(hex('68ce3c80'))).toThrow(expect.objectContaining({ code: 'NAL_NOT_SPS' }));
  });

  it('parseH264Sps() and parseH265Sps() of random bytes throw nothing but Gb28181Error (fuzz, seed 264)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, h265) => {
        const b = Buffer.from(bytes);
        if (b.length > 0) b[0] = h265 ? (b[0] & 0x81) | (33 << 1) : (b[0] & 0xe0) | 7;
        try {
          const r = h265 ? parseH265Sps(b) : parseH264Sps(b);
          expect(r.width).toBeGreaterThan(0);
        } catch (e) {
          expect(e).toBeInstanceOf(Gb28181Error);
        }
      }),
      { seed: 264, numRuns: 3000 },
    );
  });
});
