import { describe, expect, it } from 'vitest';
import { SUBSTREAM_SDP_STYLES, buildGbOffer, offeredStreamNumber } from './gb-sdp.builder';
import { parseSdp } from './sdp.codec';

const base = { sessionName: 'Play' as const, platformId: '34020000002000000001', ip: '127.0.0.1', port: 30000, transport: 'udp' as const, ssrc: '0100000001' };
const media = (text: string) => parseSdp(text).media[0]!;

describe('substream in the play offer (GB/T 28181-2022 streamnumber and vendor variants)', () => {
  it.each([
    ['gb2022', [{ name: 'streamnumber', value: '1' }, { name: 'stream', value: '1' }]],
    ['streamprofile', [{ name: 'streamprofile', value: '1' }]],
    ['streamMode', [{ name: 'streamMode', value: 'SUB' }]],
    ['all', [{ name: 'streamnumber', value: '1' }, { name: 'stream', value: '1' }, { name: 'streamprofile', value: '1' }, { name: 'streamMode', value: 'SUB' }]],
  ] as const)('style %s writes %o, read back as stream 1', (style, lines) => {
    const m = media(buildGbOffer({ ...base, streamNumber: 1, substreamStyle: style }));
    const names = new Set(['streamnumber', 'stream', 'streamprofile', 'streamMode']);
    expect(m.attributes.filter((a) => names.has(a.name))).toEqual(lines);
    expect(offeredStreamNumber(m)).toBe(1);
  });

  it('main is 0 in every style (streamMode MAIN); no streamNumber writes nothing and reads null', () => {
    for (const style of SUBSTREAM_SDP_STYLES) expect(offeredStreamNumber(media(buildGbOffer({ ...base, streamNumber: 0, substreamStyle: style })))).toBe(0);
    expect(offeredStreamNumber(media(buildGbOffer(base)))).toBeNull();
  });

  it('unknown styles and numbers outside 0..9 are SDP_BAD_FIELD; odd attribute values read as null', () => {
    expect(() => buildGbOffer({ ...base, streamNumber: 1, substreamStyle: 'hik' as never })).toThrow(expect.objectContaining({ code: 'SDP_BAD_FIELD' }));
    expect(() => buildGbOffer({ ...base, streamNumber: 10 })).toThrow(expect.objectContaining({ code: 'SDP_BAD_FIELD' }));
    expect(offeredStreamNumber({ attributes: [{ name: 'streamnumber', value: '12' }, { name: 'streamMode', value: 'THIRD' }, { name: 'stream' }] })).toBeNull();
    expect(offeredStreamNumber({ attributes: [{ name: 'streammode', value: 'sub' }] })).toBe(1);
  });
});
