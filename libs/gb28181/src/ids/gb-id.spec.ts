import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Gb28181Error } from '../errors';
import { buildSsrc, gbIdType, isChannelType, isCivilCode, isGbId, parseGbId, parseSsrc, ssrcFromNumber, ssrcToNumber } from './gb-id';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof Gb28181Error ? e.code : `not coded: ${String(e)}`;
  }
  return undefined;
}

describe('parseGbId()', () => {
  it('splits a camera ID into centre, industry, type, network and serial', () => {
    expect(parseGbId('34020000001320000001')).toEqual({
      id: '34020000001320000001',
      centre: '34020000',
      province: '34',
      city: '02',
      district: '00',
      unit: '00',
      industry: '00',
      typeCode: '132',
      typeName: 'ipc',
      network: '0',
      serial: '000001',
    });
  });

  const types: [string, string][] = [
    ['34020000001110000001', 'dvr'],
    ['34020000001180000001', 'nvr'],
    ['34020000001310000001', 'camera'],
    ['34020000001320000001', 'ipc'],
    ['34020000001340000001', 'alarm-input'],
    ['34020000001370000001', 'voice-output'],
    ['34020000002000000001', 'platform'],
    ['34020000002020000001', 'media-server'],
    ['34020000002150000001', 'business-group'],
    ['34020000002160000001', 'virtual-organisation'],
    ['34020000009990000001', 'unknown'],
  ];
  for (const [id, name] of types) {
    it(`type of ${id} is ${name}`, () => {
      expect(parseGbId(id).typeName).toBe(name);
      expect(gbIdType(id)).toBe(name);
    });
  }

  const invalid = ['', '3402000000132000000', '340200000013200000011', '3402000000132000000a', ' 34020000001320000001', '３４０２００００００１３２００００００１'];
  for (const s of invalid) {
    it(`${JSON.stringify(s)} is not a GB ID: isGbId false, parseGbId throws GBID_INVALID`, () => {
      expect(isGbId(s)).toBe(false);
      expect(code(() => parseGbId(s))).toBe('GBID_INVALID');
    });
  }

  it('isCivilCode() accepts 2, 4, 6 and 8 digits only; gbIdType() names them civil-code', () => {
    expect(['34', '3402', '340200', '34020000'].every(isCivilCode)).toBe(true);
    expect(['3', '340', '3402000000', 'ab', ''].some(isCivilCode)).toBe(false);
    expect(gbIdType('340200')).toBe('civil-code');
    expect(gbIdType('x')).toBe('unknown');
  });

  it('isChannelType() is true for front-end peripherals (131-199) by code or whole ID, false for containers', () => {
    expect(['131', '132', '134', '137'].every(isChannelType)).toBe(true);
    expect(isChannelType('34020000001320000001')).toBe(true);
    expect(['111', '118', '200', '215', '216', '13', 'abc'].some(isChannelType)).toBe(false);
  });

  it('fuzz: any string either parses to a 20-digit split that reassembles or throws GBID_INVALID', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^\d{20}$/)), (s) => {
        try {
          const g = parseGbId(s);
          expect(g.centre + g.industry + g.typeCode + g.network + g.serial).toBe(s);
        } catch (e) {
          expect((e as Gb28181Error).code).toBe('GBID_INVALID');
        }
      }),
      { seed: 2016, numRuns: 1000 },
    );
  });
});

describe('SSRC (Annex F)', () => {
  it('platform 34020000002000000001 live stream 1 is 0200000001; history is 1200000001', () => {
    expect(buildSsrc({ history: false, platformId: '34020000002000000001', streamNumber: 1 })).toBe('0200000001');
    expect(buildSsrc({ history: true, platformId: '34020000002000000001', streamNumber: 1 })).toBe('1200000001');
  });

  it('a 10-digit domain gives the same SSRC as the 20-digit ID; the stream number wraps mod 10000', () => {
    expect(buildSsrc({ history: false, platformId: '3402000000', streamNumber: 1 })).toBe('0200000001');
    expect(buildSsrc({ history: false, platformId: '44010200492000000001', streamNumber: 12345 })).toBe('0102002345');
  });

  it('buildSsrc() refuses an IP:port domain (GBID_INVALID) and a negative stream number (SSRC_INVALID)', () => {
    expect(code(() => buildSsrc({ history: false, platformId: '192.168.1.1:5060', streamNumber: 1 }))).toBe('GBID_INVALID');
    expect(code(() => buildSsrc({ history: false, platformId: '3402000000', streamNumber: -1 }))).toBe('SSRC_INVALID');
  });

  it('parseSsrc() reads history, domain and stream number; ssrcToNumber() is the RTP field value', () => {
    expect(parseSsrc('1200000042')).toEqual({ ssrc: '1200000042', history: true, domain: '20000', streamNumber: 42 });
    expect(ssrcToNumber('0200000001')).toBe(200000001);
    expect(ssrcToNumber('4294967295')).toBe(0xffffffff);
    expect(ssrcFromNumber(200000001)).toBe('0200000001');
  });

  it('SSRCs that are not 10 digits or exceed 32 bits throw SSRC_INVALID', () => {
    expect(code(() => parseSsrc('020000001'))).toBe('SSRC_INVALID');
    expect(code(() => parseSsrc('4294967296'))).toBe('SSRC_INVALID');
    expect(code(() => ssrcToNumber('4294967296'))).toBe('SSRC_INVALID');
    expect(code(() => ssrcToNumber('0x10'))).toBe('SSRC_INVALID');
    expect(code(() => ssrcFromNumber(-1))).toBe('SSRC_INVALID');
  });

  it('round trip: buildSsrc -> parseSsrc -> ssrcToNumber -> ssrcFromNumber for any stream number', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.nat(), (history, streamNumber) => {
        const s = buildSsrc({ history, platformId: '34020000002000000001', streamNumber });
        const p = parseSsrc(s);
        expect([p.history, p.domain, p.streamNumber]).toEqual([history, '20000', streamNumber % 10000]);
        expect(ssrcFromNumber(ssrcToNumber(s))).toBe(s);
      }),
      { seed: 3550, numRuns: 500 },
    );
  });
});
