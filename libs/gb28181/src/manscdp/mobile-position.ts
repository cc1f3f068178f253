/**
 * Mobile position (GB/T 28181-2016 §9.10, §A.2.5.6): a moving device (vehicle camera, body camera, drone) reports
 * where a channel is with `<Notify><CmdType>MobilePosition</CmdType>` carrying Time, Longitude, Latitude, Speed
 * (km/h), Direction (degrees clockwise from north) and Altitude (m). Pure: the parsed message in, a checked position
 * (or MANSCDP_MISSING_FIELD / MANSCDP_BAD_FIELD) out.
 */
import { Gb28181Error } from '../errors';
import type { ManscdpMessage } from './manscdp.types';

/** Fastest speed believed, km/h (a hostile or broken device's 1e300 is refused, not stored). */
export const MAX_POSITION_SPEED_KMH = 2_000;
/** Altitude range believed, metres (below the Dead Sea shore … above airliners). */
export const MIN_POSITION_ALTITUDE_M = -1_000;
export const MAX_POSITION_ALTITUDE_M = 20_000;
/** Longest Time text kept. */
export const MAX_POSITION_TIME_CHARS = 32;

export interface MobilePosition {
  /** The message's DeviceID: the moving channel (or the device). */
  channelId: string;
  /** The device's local time as sent (trimmed), or null. */
  time: string | null;
  longitude: number;
  latitude: number;
  speed: number | null;
  direction: number | null;
  altitude: number | null;
}

type MobilePositionMessage = Extract<ManscdpMessage, { kind: 'MobilePositionNotify' }>;

function bad(message: string): never {
  throw new Gb28181Error('MANSCDP_BAD_FIELD', message);
}

/** A decimal number (no hex, no Infinity, no exponent tricks past the range) within [min, max]. */
function numberIn(name: string, text: string, min: number, max: number): number {
  const t = text.trim();
  if (!/^[+-]?(\d{1,12}(\.\d{0,12})?|\.\d{1,12})$/.test(t)) bad(`<${name}> is not a decimal number: ${JSON.stringify(t.slice(0, 32))}`);
  const n = Number(t);
  if (!(n >= min && n <= max)) bad(`<${name}> ${t} is outside ${min}..${max}`);
  return n;
}

function optional(name: string, text: string | null, min: number, max: number): number | null {
  return text === null || text.trim() === '' ? null : numberIn(name, text, min, max);
}

/** The checked position of a MobilePosition notify: longitude and latitude required, the rest null when absent. */
export function readMobilePosition(m: MobilePositionMessage): MobilePosition {
  if (m.longitude === null) throw new Gb28181Error('MANSCDP_MISSING_FIELD', '<Longitude> is missing');
  if (m.latitude === null) throw new Gb28181Error('MANSCDP_MISSING_FIELD', '<Latitude> is missing');
  const time = m.time === null ? null : m.time.trim();
  if (time !== null && time.length > MAX_POSITION_TIME_CHARS) bad(`<Time> is longer than ${MAX_POSITION_TIME_CHARS} characters`);
  return {
    channelId: m.deviceId,
    time: time === '' ? null : time,
    longitude: numberIn('Longitude', m.longitude, -180, 180),
    latitude: numberIn('Latitude', m.latitude, -90, 90),
    speed: optional('Speed', m.speed, 0, MAX_POSITION_SPEED_KMH),
    direction: optional('Direction', m.direction, 0, 360),
    altitude: optional('Altitude', m.altitude, MIN_POSITION_ALTITUDE_M, MAX_POSITION_ALTITUDE_M),
  };
}
