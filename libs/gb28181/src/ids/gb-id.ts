/**
 * 20-digit GB/T 28181 identifiers (§D, "统一编码规则") and the 10-digit SSRC (Annex F).
 *
 *   digit  1-2  3-4  5-6  7-8  9-10      11-13  14       15-20
 *         +----+----+----+----+---------+------+--------+--------+
 *         |prov|city|dist|unit|industry | type |network | serial |
 *         +----+----+----+----+---------+------+--------+--------+
 *          \_____ centre code (8) _____/
 */
import { Gb28181Error } from '../errors';

export type GbTypeName =
  | 'dvr'
  | 'video-server'
  | 'encoder'
  | 'decoder'
  | 'video-matrix'
  | 'audio-matrix'
  | 'alarm-controller'
  | 'nvr'
  | 'camera'
  | 'ipc'
  | 'display'
  | 'alarm-input'
  | 'alarm-output'
  | 'voice-input'
  | 'voice-output'
  | 'mobile-device'
  | 'platform'
  | 'web-server'
  | 'media-server'
  | 'proxy-server'
  | 'security-server'
  | 'alarm-server'
  | 'database-server'
  | 'gis-server'
  | 'management-server'
  | 'gateway'
  | 'media-storage-server'
  | 'signalling-security-gateway'
  | 'business-group'
  | 'virtual-organisation'
  | 'centre-user'
  | 'terminal-user'
  | 'civil-code'
  | 'unknown';

export interface GbId {
  id: string;
  /** Digits 1-8: province + city + district + unit. */
  centre: string;
  province: string;
  city: string;
  district: string;
  unit: string;
  /** Digits 9-10. */
  industry: string;
  /** Digits 11-13. */
  typeCode: string;
  typeName: GbTypeName;
  /** Digit 14. */
  network: string;
  /** Digits 15-20. */
  serial: string;
}

/** Type codes of GB/T 28181-2016 Annex D (Table D.1). Codes not listed read 'unknown'. */
const TYPE_NAMES: Readonly<Record<string, GbTypeName>> = {
  '111': 'dvr',
  '112': 'video-server',
  '113': 'encoder',
  '114': 'decoder',
  '115': 'video-matrix',
  '116': 'audio-matrix',
  '117': 'alarm-controller',
  '118': 'nvr',
  '131': 'camera',
  '132': 'ipc',
  '133': 'display',
  '134': 'alarm-input',
  '135': 'alarm-output',
  '136': 'voice-input',
  '137': 'voice-output',
  '138': 'mobile-device',
  '200': 'platform',
  '201': 'web-server',
  '202': 'media-server',
  '203': 'proxy-server',
  '204': 'security-server',
  '205': 'alarm-server',
  '206': 'database-server',
  '207': 'gis-server',
  '208': 'management-server',
  '209': 'gateway',
  '210': 'media-storage-server',
  '211': 'signalling-security-gateway',
  '215': 'business-group',
  '216': 'virtual-organisation',
  '300': 'centre-user',
  '400': 'terminal-user',
};

const GB_ID_RE = /^\d{20}$/;

export function isGbId(s: string): boolean {
  return typeof s === 'string' && GB_ID_RE.test(s);
}

/** Administrative-region codes used as catalog nodes: 2, 4, 6 or 8 digits. */
export function isCivilCode(s: string): boolean {
  return typeof s === 'string' && /^(\d{2}){1,4}$/.test(s);
}

export function typeNameOf(typeCode: string): GbTypeName {
  return TYPE_NAMES[typeCode] ?? 'unknown';
}

/** Splits a 20-digit ID. Throws GBID_INVALID otherwise. */
export function parseGbId(id: string): GbId {
  if (!isGbId(id)) {
    const shown = typeof id === 'string' ? JSON.stringify(id.slice(0, 40)) : typeof id;
    throw new Gb28181Error('GBID_INVALID', `not a 20-digit GB/T 28181 ID: ${shown}`);
  }
  const typeCode = id.slice(10, 13);
  return {
    id,
    centre: id.slice(0, 8),
    province: id.slice(0, 2),
    city: id.slice(2, 4),
    district: id.slice(4, 6),
    unit: id.slice(6, 8),
    industry: id.slice(8, 10),
    typeCode,
    typeName: typeNameOf(typeCode),
    network: id.slice(13, 14),
    serial: id.slice(14, 20),
  };
}

/** The type of an ID: a device/platform type for 20 digits, 'civil-code' for 2-8 digits, else 'unknown'. */
export function gbIdType(s: string): GbTypeName {
  if (isGbId(s)) return typeNameOf(s.slice(10, 13));
  if (isCivilCode(s)) return 'civil-code';
  return 'unknown';
}

/**
 * Whether a type code (3 digits, or a whole 20-digit ID) is a front-end peripheral
 * (131-199: cameras, IPCs, alarm in/out, voice, displays), i.e. a channel that can
 * be played or controlled, not a container (DVR/NVR, platform, group).
 */
export function isChannelType(typeCode: string): boolean {
  const code = typeof typeCode === 'string' && GB_ID_RE.test(typeCode) ? typeCode.slice(10, 13) : typeCode;
  if (typeof code !== 'string' || !/^\d{3}$/.test(code)) return false;
  const n = Number(code);
  return n >= 131 && n <= 199;
}

// ---------------------------------------------------------------- SSRC (Annex F)

export interface Ssrc {
  ssrc: string;
  history: boolean;
  /** Digits 2-6: digits 4-8 of the platform ID. */
  domain: string;
  /** Digits 7-10. */
  streamNumber: number;
}

const MAX_SSRC = 0xffffffff;

function badSsrc(s: unknown): never {
  const shown = typeof s === 'string' ? JSON.stringify(s.slice(0, 40)) : String(s);
  throw new Gb28181Error('SSRC_INVALID', `not a decimal RTP SSRC of up to 10 digits (<= 4294967295): ${shown}`);
}

/**
 * The `y=` SSRC of an INVITE: digit 1 = 0 live / 1 history, digits 2-6 = digits 4-8
 * of the platform ID (20 digits, or a SIP domain of at least 8 digits), digits 7-10 =
 * the stream number mod 10000. Throws GBID_INVALID for a platform ID without 8 leading digits.
 */
export function buildSsrc(opts: { history: boolean; platformId: string; streamNumber: number }): string {
  const { platformId, streamNumber } = opts;
  if (typeof platformId !== 'string' || !/^\d{8}/.test(platformId)) {
    throw new Gb28181Error('GBID_INVALID', `platform ID or domain needs 8 leading digits: ${JSON.stringify(String(platformId).slice(0, 40))}`);
  }
  if (!Number.isSafeInteger(streamNumber) || streamNumber < 0) {
    throw new Gb28181Error('SSRC_INVALID', `stream number must be a non-negative integer, got ${streamNumber}`);
  }
  return (opts.history ? '1' : '0') + platformId.slice(3, 8) + String(streamNumber % 10_000).padStart(4, '0');
}

/** Reads a 10-digit SSRC. Throws SSRC_INVALID for anything else (or a value over 32 bits). */
export function parseSsrc(s: string): Ssrc {
  if (typeof s !== 'string' || !/^\d{10}$/.test(s) || Number(s) > MAX_SSRC) badSsrc(s);
  return { ssrc: s, history: s[0] === '1', domain: s.slice(1, 6), streamNumber: Number(s.slice(6)) };
}

/** The RTP header's SSRC field value for a `y=` string: the decimal number itself. */
export function ssrcToNumber(s: string): number {
  if (typeof s !== 'string' || !/^\d{1,10}$/.test(s)) badSsrc(s);
  const n = Number(s);
  if (n > MAX_SSRC) badSsrc(s);
  return n;
}

/** The 10-digit `y=` form of an RTP SSRC field value. */
export function ssrcFromNumber(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_SSRC) badSsrc(n);
  return String(n).padStart(10, '0');
}
