import { describe, expect, it } from 'vitest';
import { FlvMuxer, h264NalType, splitAnnexB } from '@gb/gb28181';
import { fixtureFrames } from '../../../../test/fixtures/media/media-fixtures';
import { FlvFanout } from '../media/flv-fanout';
import { flvGopFrames, flvSnapshot } from './flv-gop';

describe('flvGopFrames', () => {
  it('reads the fan-out GOP back as Annex B access units from its keyframe, SPS and PPS in front of it, same NAL units', () => {
    const frames = fixtureFrames('h264-176x144-30f'); // IDR at 0, 10, 20
    const fan = new FlvFanout();
    const mux = new FlvMuxer();
    fan.pushHeader(FlvMuxer.header({ audio: false }));
    for (let i = 0; i < 13; i++) for (const tag of mux.videoTags(frames[i]!.data, i * 3600, i * 3600, frames[i]!.key)) fan.pushTag(tag);
    const out = flvGopFrames(flvSnapshot(fan));
    expect(fan.subscribers).toBe(0);
    expect(out.map((f) => f.keyframe)).toEqual([true, false, false]);
    expect(out.map((f) => f.pts)).toEqual([36_000, 39_600, 43_200]);
    const types = splitAnnexB(out[0]!.data).map((n) => h264NalType(n));
    expect(types.slice(0, 2)).toEqual([7, 8]);
    expect(types).toContain(5);
    const vcl = (b: Buffer) => splitAnnexB(b).filter((n) => [1, 5].includes(h264NalType(n)));
    expect(vcl(out[2]!.data)).toEqual(vcl(frames[12]!.data));
  });

  it('skips what is not H.264 video and stops at a malformed tag', () => {
    expect(flvGopFrames([Buffer.from('FLV\x01\x01\0\0\0\x09\0\0\0\0', 'latin1')])).toEqual([]);
    const bad = Buffer.alloc(20);
    bad[0] = 9;
    bad.writeUIntBE(9, 1, 3);
    bad[11] = 0x17;
    bad[12] = 1;
    bad.writeUInt32BE(1000, 16); // a NAL length past the end
    expect(flvGopFrames([bad])).toEqual([]);
  });
});
