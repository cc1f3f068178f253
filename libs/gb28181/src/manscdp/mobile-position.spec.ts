import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Gb28181Error } from '../errors';
import { parseManscdp } from './manscdp.codec';
import { encodeAlarmReset, encodeGuardCmd, encodeMobilePositionNotify } from './manscdp.encoder';
import { MAX_POSITION_SPEED_KMH, readMobilePosition } from './mobile-position';

const CH = '34020000001320000001';

function notify(fields: Record<string, string>): Buffer {
  const inner = Object.entries(fields).map(([k, v]) => `<${k}>${v}</${k}>`).join('');
  return Buffer.from(`<?xml version="1.0" encoding="GB2312"?><Notify><CmdType>MobilePosition</CmdType><SN>7</SN><DeviceID>${CH}</DeviceID>${inner}</Notify>`);
}

function read(body: Buffer) {
  const m = parseManscdp(body);
  if (m.kind !== 'MobilePositionNotify') throw new Error(`parsed as ${m.kind}`);
  return readMobilePosition(m);
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof Gb28181Error) return e.code;
    throw e;
  }
  return 'none';
}

describe('readMobilePosition()', () => {
  it('a MobilePosition notify from encodeMobilePositionNotify() reads back every field (GB2312 body)', () => {
    const body = encodeMobilePositionNotify({ sn: 7, deviceId: CH, time: '2026-12-03T08:00:05', longitude: 120.123456, latitude: 30.654321, speed: 42.5, direction: 271, altitude: 15.2 });
    expect(read(body)).toEqual({ channelId: CH, time: '2026-12-03T08:00:05', longitude: 120.123456, latitude: 30.654321, speed: 42.5, direction: 271, altitude: 15.2 });
  });

  it('absent or empty Speed, Direction, Altitude and Time are null; a lower-case element name and spaces are read', () => {
    expect(read(notify({ longitude: ' 116.4 ', Latitude: '39.9', Speed: '', Direction: '' }))).toEqual({ channelId: CH, time: null, longitude: 116.4, latitude: 39.9, speed: null, direction: null, altitude: null });
  });

  it.each([
    ['no Longitude', { Latitude: '30' }, 'MANSCDP_MISSING_FIELD'],
    ['no Latitude', { Longitude: '120' }, 'MANSCDP_MISSING_FIELD'],
    ['empty Longitude', { Longitude: '', Latitude: '30' }, 'MANSCDP_MISSING_FIELD'],
    ['longitude 181', { Longitude: '181', Latitude: '30' }, 'MANSCDP_BAD_FIELD'],
    ['latitude -90.5', { Longitude: '120', Latitude: '-90.5' }, 'MANSCDP_BAD_FIELD'],
    ['hex longitude', { Longitude: '0x78', Latitude: '30' }, 'MANSCDP_BAD_FIELD'],
    ['Infinity', { Longitude: 'Infinity', Latitude: '30' }, 'MANSCDP_BAD_FIELD'],
    ['exponent', { Longitude: '1e2', Latitude: '30' }, 'MANSCDP_BAD_FIELD'],
    ['NaN latitude', { Longitude: '120', Latitude: 'NaN' }, 'MANSCDP_BAD_FIELD'],
    ['negative speed', { Longitude: '120', Latitude: '30', Speed: '-1' }, 'MANSCDP_BAD_FIELD'],
    ['speed past the bound', { Longitude: '120', Latitude: '30', Speed: String(MAX_POSITION_SPEED_KMH + 1) }, 'MANSCDP_BAD_FIELD'],
    ['direction 361', { Longitude: '120', Latitude: '30', Direction: '361' }, 'MANSCDP_BAD_FIELD'],
    ['altitude 1e6', { Longitude: '120', Latitude: '30', Altitude: '1000000' }, 'MANSCDP_BAD_FIELD'],
    ['a 100-digit number', { Longitude: '1'.repeat(100), Latitude: '30' }, 'MANSCDP_BAD_FIELD'],
    ['a 10,000-character Time', { Longitude: '120', Latitude: '30', Time: 'T'.repeat(10_000) }, 'MANSCDP_BAD_FIELD'],
  ])('%s is refused with %s', (_name, fields, code) => {
    expect(codeOf(() => read(notify(fields)))).toBe(code);
  });

  it('fuzz: any field texts give a position within bounds or a Gb28181Error, nothing else', () => {
    fc.assert(
      fc.property(fc.record({ Longitude: fc.string({ maxLength: 40 }), Latitude: fc.string({ maxLength: 40 }), Speed: fc.string({ maxLength: 20 }), Direction: fc.string({ maxLength: 20 }), Altitude: fc.string({ maxLength: 20 }) }), (f) => {
        const esc = Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v.replace(/[<&>]/g, '')]));
        let p;
        try {
          p = read(notify(esc));
        } catch (e) {
          expect(e).toBeInstanceOf(Gb28181Error);
          return;
        }
        expect(Math.abs(p.longitude)).toBeLessThanOrEqual(180);
        expect(Math.abs(p.latitude)).toBeLessThanOrEqual(90);
      }),
      { numRuns: 500 },
    );
  });
});

describe('alarm reset and guard encoders', () => {
  it('encodeAlarmReset() writes AlarmCmd ResetAlarm with the optional Info, which parses back', () => {
    const m = parseManscdp(encodeAlarmReset({ sn: 3, deviceId: CH, alarmMethod: 5, alarmType: 2 }));
    expect([m.root, m.cmdType, m.sn, m.deviceId]).toEqual(['Control', 'DeviceControl', 3, CH]);
    expect(m.fields['AlarmCmd']).toBe('ResetAlarm');
    expect(m.fields['Info']).toEqual({ AlarmMethod: '5', AlarmType: '2' });
    expect(parseManscdp(encodeAlarmReset({ sn: 4, deviceId: CH })).fields['Info']).toBeUndefined();
  });

  it('encodeGuardCmd() writes SetGuard or ResetGuard', () => {
    expect(parseManscdp(encodeGuardCmd({ sn: 5, deviceId: CH, guard: true })).fields['GuardCmd']).toBe('SetGuard');
    expect(parseManscdp(encodeGuardCmd({ sn: 6, deviceId: CH, guard: false })).fields['GuardCmd']).toBe('ResetGuard');
  });
});
