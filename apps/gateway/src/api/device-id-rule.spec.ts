import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as contracts from '@gb/contracts';
import * as gb from '@gb/gb28181';
import { STREAM_ID_RE, channelIdSchema, deviceIdSchema } from './devices.dto';

/** Issue #8 item 4: one ID rule for the registrar (libs/gb28181), the API (devices.dto) and the dashboard (libs/contracts). */
describe('the device ID rule', () => {
  it('libs/contracts and libs/gb28181 carry the same literal', () => {
    expect(contracts.DEVICE_ID_CHARS).toBe(gb.DEVICE_ID_CHARS);
    expect(contracts.DEVICE_ID_PATTERN).toBe(gb.DEVICE_ID_PATTERN);
    expect(contracts.MAX_DEVICE_ID_CHARS).toBe(gb.MAX_DEVICE_ID_CHARS);
  });

  const accepted = ['34020000001320000001', '1', 'CAM01', 'a'.repeat(32), '3402000000132000000'];
  const refused = ['', 'a'.repeat(33), 'cam_01', 'cam-01', 'cam 01', '３４０２', '../etc', 'id%20', 'id\n'];
  for (const id of accepted) {
    it(`${JSON.stringify(id)} is accepted by the library, the contracts and both API schemas`, () => {
      expect([gb.isDeviceId(id), contracts.isDeviceId(id), deviceIdSchema.safeParse(id).success, channelIdSchema.safeParse(id).success]).toEqual([true, true, true, true]);
    });
  }
  for (const id of refused) {
    it(`${JSON.stringify(id)} is refused by the library, the contracts and both API schemas`, () => {
      expect([gb.isDeviceId(id), contracts.isDeviceId(id), deviceIdSchema.safeParse(id).success, channelIdSchema.safeParse(id).success]).toEqual([false, false, false, false]);
    });
  }

  it('every 20-digit GB/T 28181 code is an accepted ID', () => {
    fc.assert(fc.property(fc.stringMatching(/^\d{20}$/), (id) => gb.isGbId(id) && gb.isDeviceId(id) && contracts.isDeviceId(id)), { seed: 2016, numRuns: 300 });
  });

  it('fuzz: the library, the contracts and the API schema agree on any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.stringMatching(/^[0-9A-Za-z_]{0,34}$/)), (s) => {
        const g = gb.isDeviceId(s);
        expect(contracts.isDeviceId(s)).toBe(g);
        expect(deviceIdSchema.safeParse(s).success).toBe(g);
      }),
      { seed: 28181, numRuns: 1000 },
    );
  });

  it('a stream ID <device>_<channel>[_<n>] is accepted for any two accepted IDs', () => {
    expect(STREAM_ID_RE.test('CAM01_CAM01')).toBe(true);
    expect(STREAM_ID_RE.test('34020000001320000001_34020000001310000001_p1')).toBe(true);
    expect(STREAM_ID_RE.test('CAM01_')).toBe(false);
    expect(STREAM_ID_RE.test('a_b_c_d')).toBe(false);
  });
});
