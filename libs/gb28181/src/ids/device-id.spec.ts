import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGbId } from './gb-id';
import { DEVICE_ID_PATTERN, MAX_DEVICE_ID_CHARS, isDeviceId } from './device-id';

describe('isDeviceId() (the one device/channel ID rule, issue #8)', () => {
  const table: [unknown, boolean, string][] = [
    ['34020000001320000001', true, 'a 20-digit GB/T 28181 code'],
    ['3402000000132000000', true, '19 digits (devices that ignore Annex D)'],
    ['CAM01', true, 'letters and digits'],
    ['x', true, 'one character'],
    ['A'.repeat(MAX_DEVICE_ID_CHARS), true, `${MAX_DEVICE_ID_CHARS} characters`],
    ['A'.repeat(MAX_DEVICE_ID_CHARS + 1), false, 'longer than the bound'],
    ['', false, 'empty'],
    ['cam_01', false, 'underscore (the stream ID separator)'],
    ['cam-01', false, 'punctuation'],
    ['cam 01', false, 'space'],
    ['３４０２', false, 'full-width digits'],
    [20, false, 'not a string'],
    [undefined, false, 'undefined'],
  ];
  for (const [id, ok, why] of table) {
    it(`${JSON.stringify(id)} (${why}) -> ${ok}`, () => expect(isDeviceId(id)).toBe(ok));
  }

  it('every 20-digit GB ID is a device ID, and the exported pattern says the same as the function', () => {
    const re = new RegExp(DEVICE_ID_PATTERN);
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.stringMatching(/^\d{20}$/)), (s) => {
        if (isGbId(s)) expect(isDeviceId(s)).toBe(true);
        expect(re.test(s)).toBe(isDeviceId(s));
      }),
      { seed: 28181, numRuns: 1000 },
    );
  });
});
