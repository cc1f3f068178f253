/**
 * DeviceControl commands beyond PTZ, PresetQuery, ConfigDownload and DeviceConfig (GB/T 28181-2016 §9.3, §9.5,
 * Annex A.2.3.1 control, A.2.4 queries, A.2.6 responses). Pure: options in, body bytes out; a parsed message in,
 * checked values (or MANSCDP_BAD_FIELD / MANSCDP_MISSING_FIELD) out.
 *
 *   TeleBoot      <TeleBoot>Boot</TeleBoot>                                   no Response (the device restarts)
 *   RecordCmd     <RecordCmd>Record|StopRecord</RecordCmd>                     Response with Result (§A.2.6.1)
 *   IFameCmd      <IFameCmd>Send</IFameCmd>                                    no Response (a keyframe now)
 *   DragZoomIn    <DragZoomIn><Length/><Width/><MidPointX/><MidPointY/><LengthX/><LengthY/></DragZoomIn>
 *   DragZoomOut   same fields (Length × Width: the viewer's picture in pixels; MidPoint: the rectangle's centre;
 *                 LengthX × LengthY: the rectangle)                           no Response
 *   HomePosition  <HomePosition><Enabled>1|0</Enabled><ResetTime>s</ResetTime><PresetIndex>n</PresetIndex>
 *                                                                              Response with Result
 *   DeviceConfig  <Control><CmdType>DeviceConfig</CmdType>…<BasicParam><Name/><Expiration/><HeartBeatInterval/>
 *                 <HeartBeatCount/></BasicParam>                               Response with Result (§A.2.6.2)
 *   ConfigDownload <Query>…<ConfigType>BasicParam</ConfigType>                 Response with <BasicParam> (§A.2.6.9)
 *   PresetQuery   <Query>…                                                     Response with <PresetList Num>
 *                                                                              of <Item><PresetID/><PresetName/>
 */
import { Gb28181Error } from '../errors';
import type { ManscdpCharset } from './charset';
import { encodeManscdpMessage, escapeXml, DEFAULT_MANSCDP_CHARSET } from './manscdp.encoder';
import type { ManscdpMessage } from './manscdp.types';
import { encodeManscdpText } from './charset';
import { PTZ_MAX_PRESET } from './ptz';

/** Largest picture side (pixels) accepted in a drag-zoom rectangle. */
export const MAX_DRAG_ZOOM_PIXELS = 16_384;
/** Longest home-position reset time, seconds (a day). */
export const MAX_HOME_RESET_S = 86_400;
/** Longest device name sent or kept from a device (characters). */
export const MAX_DEVICE_CONFIG_NAME_CHARS = 64;
/** Registration expiry a device may be given, seconds (RFC 3261 Expires; GB devices use 3600 by default). */
export const MIN_DEVICE_EXPIRATION_S = 60;
export const MAX_DEVICE_EXPIRATION_S = 86_400;
/** Heartbeat interval bounds, seconds. */
export const MIN_HEARTBEAT_INTERVAL_S = 5;
export const MAX_HEARTBEAT_INTERVAL_S = 3_600;
/** Missed heartbeats before offline, bounds. */
export const MIN_HEARTBEAT_COUNT = 1;
export const MAX_HEARTBEAT_COUNT = 100;
/** Most presets read from one PresetQuery answer (PTZCmd presets are one byte). */
export const MAX_PRESETS_LISTED = PTZ_MAX_PRESET;
/** Longest preset name kept (characters). */
export const MAX_PRESET_NAME_CHARS = 64;

export interface DragZoomRect {
  /** The viewer's picture width (`Length`) and height (`Width`) in pixels. */
  length: number;
  width: number;
  /** The rectangle's centre in that picture. */
  midPointX: number;
  midPointY: number;
  /** The rectangle's width and height. */
  lengthX: number;
  lengthY: number;
}

export type DeviceControlCommand =
  | { kind: 'teleBoot' }
  | { kind: 'record'; record: boolean }
  | { kind: 'keyframe' }
  | ({ kind: 'dragZoom'; direction: 'in' | 'out' } & DragZoomRect)
  | { kind: 'homePosition'; enabled: boolean; resetTimeS: number; presetIndex: number };

/** The commands a device answers with a DeviceControl Response carrying a Result (§A.2.6.1). */
export function controlHasResult(cmd: DeviceControlCommand): boolean {
  return cmd.kind === 'record' || cmd.kind === 'homePosition';
}

// eslint-disable-next-line no-control-regex -- C0 control characters are what is removed
const CONTROL_CHARS = /[\x00-\x1f]/g;

function hasControlChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) < 0x20) return true;
  return false;
}

function bad(message: string): never {
  throw new Gb28181Error('MANSCDP_BAD_FIELD', message);
}

function intIn(name: string, v: number, min: number, max: number): number {
  if (!Number.isSafeInteger(v) || v < min || v > max) bad(`${name} must be an integer in ${min}..${max}, got ${v}`);
  return v;
}

function el(name: string, value: string | number): string {
  return `<${name}>${escapeXml(String(value))}</${name}>\r\n`;
}

function head(root: 'Control' | 'Query', cmdType: string, sn: number, deviceId: string): string {
  if (!Number.isSafeInteger(sn) || sn < 0) bad(`SN must be a non-negative integer, got ${sn}`);
  if (!/^[0-9A-Za-z]{1,32}$/.test(deviceId)) bad(`DeviceID must be 1..32 letters or digits, got ${JSON.stringify(deviceId.slice(0, 40))}`);
  return `<?xml version="1.0" encoding="%CHARSET%"?>\r\n<${root}>\r\n${el('CmdType', cmdType)}${el('SN', sn)}${el('DeviceID', deviceId)}`;
}

function finish(root: 'Control' | 'Query', text: string, charset: ManscdpCharset): Buffer {
  return encodeManscdpText(`${text.replace('%CHARSET%', charset)}</${root}>\r\n`, charset);
}

/** The checked drag-zoom rectangle (inside the picture, at least one pixel). */
export function checkDragZoom(r: DragZoomRect): DragZoomRect {
  const length = intIn('Length', r.length, 1, MAX_DRAG_ZOOM_PIXELS);
  const width = intIn('Width', r.width, 1, MAX_DRAG_ZOOM_PIXELS);
  return {
    length, width,
    midPointX: intIn('MidPointX', r.midPointX, 0, length), midPointY: intIn('MidPointY', r.midPointY, 0, width),
    lengthX: intIn('LengthX', r.lengthX, 1, length), lengthY: intIn('LengthY', r.lengthY, 1, width),
  };
}

/** `<Control><CmdType>DeviceControl</CmdType>…` for one of the commands above, addressed to a device or channel. */
export function encodeDeviceControl(o: { sn: number; deviceId: string; command: DeviceControlCommand; charset?: ManscdpCharset }): Buffer {
  let t = head('Control', 'DeviceControl', o.sn, o.deviceId);
  const c = o.command;
  switch (c.kind) {
    case 'teleBoot':
      t += el('TeleBoot', 'Boot');
      break;
    case 'record':
      t += el('RecordCmd', c.record ? 'Record' : 'StopRecord');
      break;
    case 'keyframe':
      t += el('IFameCmd', 'Send');
      break;
    case 'dragZoom': {
      const r = checkDragZoom(c);
      const tag = c.direction === 'in' ? 'DragZoomIn' : c.direction === 'out' ? 'DragZoomOut' : bad(`drag zoom direction must be in or out, got ${String(c.direction)}`);
      t += `<${tag}>\r\n${el('Length', r.length)}${el('Width', r.width)}${el('MidPointX', r.midPointX)}${el('MidPointY', r.midPointY)}${el('LengthX', r.lengthX)}${el('LengthY', r.lengthY)}</${tag}>\r\n`;
      break;
    }
    case 'homePosition':
      t += `<HomePosition>\r\n${el('Enabled', c.enabled ? 1 : 0)}${el('ResetTime', intIn('ResetTime', c.resetTimeS, 0, MAX_HOME_RESET_S))}${el('PresetIndex', intIn('PresetIndex', c.presetIndex, 0, PTZ_MAX_PRESET))}</HomePosition>\r\n`;
      break;
    default:
      bad(`unknown DeviceControl command ${String((c as { kind: unknown }).kind)}`);
  }
  return finish('Control', t, o.charset ?? DEFAULT_MANSCDP_CHARSET);
}

/** The BasicParam a platform may set (§A.2.3.2.1); each field optional, at least one. */
export interface BasicParamSet {
  name?: string;
  expirationS?: number;
  heartbeatIntervalS?: number;
  heartbeatCount?: number;
}

/** `<Control><CmdType>DeviceConfig</CmdType>…<BasicParam>…` (§A.2.3.2). */
export function encodeDeviceConfigBasic(o: { sn: number; deviceId: string; basic: BasicParamSet; charset?: ManscdpCharset }): Buffer {
  const b = o.basic;
  let inner = '';
  if (b.name !== undefined) {
    if (b.name.length === 0 || b.name.length > MAX_DEVICE_CONFIG_NAME_CHARS || hasControlChar(b.name)) bad(`Name must be 1..${MAX_DEVICE_CONFIG_NAME_CHARS} printable characters`);
    inner += el('Name', b.name);
  }
  if (b.expirationS !== undefined) inner += el('Expiration', intIn('Expiration', b.expirationS, MIN_DEVICE_EXPIRATION_S, MAX_DEVICE_EXPIRATION_S));
  if (b.heartbeatIntervalS !== undefined) inner += el('HeartBeatInterval', intIn('HeartBeatInterval', b.heartbeatIntervalS, MIN_HEARTBEAT_INTERVAL_S, MAX_HEARTBEAT_INTERVAL_S));
  if (b.heartbeatCount !== undefined) inner += el('HeartBeatCount', intIn('HeartBeatCount', b.heartbeatCount, MIN_HEARTBEAT_COUNT, MAX_HEARTBEAT_COUNT));
  if (inner === '') bad('DeviceConfig BasicParam needs at least one field');
  return finish('Control', `${head('Control', 'DeviceConfig', o.sn, o.deviceId)}<BasicParam>\r\n${inner}</BasicParam>\r\n`, o.charset ?? DEFAULT_MANSCDP_CHARSET);
}

/** `<Query><CmdType>ConfigDownload</CmdType>…<ConfigType>BasicParam</ConfigType>` (§A.2.4.7). */
export function encodeConfigDownloadQuery(o: { sn: number; deviceId: string; configType?: 'BasicParam'; charset?: ManscdpCharset }): Buffer {
  return encodeManscdpMessage('Query', 'ConfigDownload', o.sn, o.deviceId, { ConfigType: o.configType ?? 'BasicParam' }, o.charset);
}

/** `<Query><CmdType>PresetQuery</CmdType>…` (2016 §A.2.4.8) to a channel. */
export function encodePresetQuery(o: { sn: number; deviceId: string; charset?: ManscdpCharset }): Buffer {
  return encodeManscdpMessage('Query', 'PresetQuery', o.sn, o.deviceId, undefined, o.charset);
}

export interface Preset {
  index: number;
  name: string;
}

function textField(v: unknown): string | null {
  if (typeof v === 'string') return v.trim();
  if (v && typeof v === 'object' && typeof (v as Record<string, unknown>)['#text'] === 'string') return ((v as Record<string, unknown>)['#text'] as string).trim();
  return null;
}

function asList(v: unknown): unknown[] {
  if (v === undefined || v === null || v === '') return [];
  return Array.isArray(v) ? v : [v];
}

/** The `<Result>` of a Response, upper-cased (OK / ERROR), or null when absent. */
export function responseResult(m: ManscdpMessage): string | null {
  const r = textField(m.fields['Result']);
  return r === null || r === '' ? null : r.slice(0, 32).toUpperCase();
}

/**
 * The presets of a PresetQuery Response: items without a readable PresetID (1..255) are dropped, names cut to
 * MAX_PRESET_NAME_CHARS, at most MAX_PRESETS_LISTED kept, sorted by index, a repeated index kept once.
 */
export function readPresetList(m: ManscdpMessage): { presets: Preset[]; dropped: number } {
  if (m.root !== 'Response' || m.cmdType !== 'PresetQuery') throw new Gb28181Error('MANSCDP_BAD_FIELD', `not a PresetQuery Response: ${m.root}/${m.cmdType}`);
  const list = m.fields['PresetList'];
  const items = list && typeof list === 'object' && !Array.isArray(list) ? asList((list as Record<string, unknown>)['Item']) : [];
  const byIndex = new Map<number, Preset>();
  let dropped = 0;
  for (const it of items) {
    if (byIndex.size >= MAX_PRESETS_LISTED || !it || typeof it !== 'object' || Array.isArray(it)) {
      dropped++;
      continue;
    }
    const o = it as Record<string, unknown>;
    const id = textField(o['PresetID']);
    const index = id !== null && /^\d{1,3}$/.test(id) ? Number(id) : NaN;
    if (!(index >= 1 && index <= PTZ_MAX_PRESET) || byIndex.has(index)) {
      dropped++;
      continue;
    }
    const name = (textField(o['PresetName']) ?? '').replace(CONTROL_CHARS, '').slice(0, MAX_PRESET_NAME_CHARS);
    byIndex.set(index, { index, name });
  }
  return { presets: [...byIndex.values()].sort((a, b) => a.index - b.index), dropped };
}

/** BasicParam as a device reports it (§A.2.6.9): null where absent or unreadable. */
export interface BasicParam {
  name: string | null;
  expirationS: number | null;
  heartbeatIntervalS: number | null;
  heartbeatCount: number | null;
  /** The SIP server (platform) the device is configured for, as sent. */
  sipServerId: string | null;
  sipServerIp: string | null;
  sipServerPort: number | null;
  domainName: string | null;
}

function boundedInt(v: unknown, min: number, max: number): number | null {
  const t = textField(v);
  if (t === null || !/^\d{1,9}$/.test(t)) return null;
  const n = Number(t);
  return n >= min && n <= max ? n : null;
}

function boundedText(v: unknown, max: number): string | null {
  const t = textField(v);
  return t === null || t === '' ? null : t.replace(CONTROL_CHARS, '').slice(0, max);
}

/** The `<BasicParam>` of a ConfigDownload Response; MANSCDP_MISSING_FIELD when it has none. Out-of-range numbers read as null. */
export function readBasicParam(m: ManscdpMessage): BasicParam {
  if (m.root !== 'Response' || m.cmdType !== 'ConfigDownload') throw new Gb28181Error('MANSCDP_BAD_FIELD', `not a ConfigDownload Response: ${m.root}/${m.cmdType}`);
  const b = m.fields['BasicParam'];
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw new Gb28181Error('MANSCDP_MISSING_FIELD', 'ConfigDownload Response without <BasicParam>');
  const o = b as Record<string, unknown>;
  return {
    name: boundedText(o['Name'], MAX_DEVICE_CONFIG_NAME_CHARS),
    expirationS: boundedInt(o['Expiration'], 1, MAX_DEVICE_EXPIRATION_S),
    heartbeatIntervalS: boundedInt(o['HeartBeatInterval'], 1, MAX_HEARTBEAT_INTERVAL_S),
    heartbeatCount: boundedInt(o['HeartBeatCount'], 1, MAX_HEARTBEAT_COUNT),
    sipServerId: boundedText(o['SIPServerID'], 32),
    sipServerIp: boundedText(o['SIPServerIP'], 64),
    sipServerPort: boundedInt(o['SIPServerPort'], 1, 65_535),
    domainName: boundedText(o['DomainName'], 64),
  };
}

/** A device's ConfigDownload BasicParam Response (for simulators and lower platforms). */
export function encodeConfigDownloadResponse(o: { sn: number; deviceId: string; basic: Required<BasicParamSet>; result?: string; charset?: ManscdpCharset }): Buffer {
  const b = o.basic;
  const inner = el('Result', o.result ?? 'OK') + `<BasicParam>\r\n${el('Name', b.name)}${el('DeviceID', o.deviceId)}${el('Expiration', b.expirationS)}${el('HeartBeatInterval', b.heartbeatIntervalS)}${el('HeartBeatCount', b.heartbeatCount)}</BasicParam>\r\n`;
  return encodeManscdpText(`<?xml version="1.0" encoding="${o.charset ?? DEFAULT_MANSCDP_CHARSET}"?>\r\n<Response>\r\n${el('CmdType', 'ConfigDownload')}${el('SN', o.sn)}${el('DeviceID', o.deviceId)}${inner}</Response>\r\n`, o.charset ?? DEFAULT_MANSCDP_CHARSET);
}

/** A device's PresetQuery Response, `perMessage` presets per MESSAGE (default all in one), each with the whole SumNum. */
export function encodePresetQueryResponses(o: { sn: number; deviceId: string; presets: readonly Preset[]; perMessage?: number; charset?: ManscdpCharset }): Buffer[] {
  const per = o.perMessage ?? Math.max(1, o.presets.length);
  if (!Number.isSafeInteger(per) || per < 1) bad(`perMessage must be a positive integer, got ${per}`);
  const charset = o.charset ?? DEFAULT_MANSCDP_CHARSET;
  const out: Buffer[] = [];
  for (let i = 0; i === 0 || i < o.presets.length; i += per) {
    const part = o.presets.slice(i, i + per);
    let inner = el('SumNum', o.presets.length) + `<PresetList Num="${part.length}">\r\n`;
    for (const p of part) inner += `<Item>\r\n${el('PresetID', p.index)}${el('PresetName', p.name)}</Item>\r\n`;
    inner += '</PresetList>\r\n';
    out.push(encodeManscdpText(`<?xml version="1.0" encoding="${charset}"?>\r\n<Response>\r\n${el('CmdType', 'PresetQuery')}${el('SN', o.sn)}${el('DeviceID', o.deviceId)}${inner}</Response>\r\n`, charset));
  }
  return out;
}

/** The BasicParam fields of a DeviceConfig Control (what a simulator applies). */
export function readDeviceConfigBasic(m: ManscdpMessage): BasicParamSet {
  const b = m.fields['BasicParam'];
  if (m.root !== 'Control' || m.cmdType !== 'DeviceConfig' || !b || typeof b !== 'object' || Array.isArray(b)) throw new Gb28181Error('MANSCDP_MISSING_FIELD', 'DeviceConfig without <BasicParam>');
  const o = b as Record<string, unknown>;
  const out: BasicParamSet = {};
  const name = boundedText(o['Name'], MAX_DEVICE_CONFIG_NAME_CHARS);
  if (name !== null) out.name = name;
  const e = boundedInt(o['Expiration'], MIN_DEVICE_EXPIRATION_S, MAX_DEVICE_EXPIRATION_S);
  if (e !== null) out.expirationS = e;
  const hi = boundedInt(o['HeartBeatInterval'], MIN_HEARTBEAT_INTERVAL_S, MAX_HEARTBEAT_INTERVAL_S);
  if (hi !== null) out.heartbeatIntervalS = hi;
  const hc = boundedInt(o['HeartBeatCount'], MIN_HEARTBEAT_COUNT, MAX_HEARTBEAT_COUNT);
  if (hc !== null) out.heartbeatCount = hc;
  return out;
}

/** The SumNum a PresetQuery Response announces (1..MAX_PRESETS_LISTED × 2), or null when absent or unreadable. */
export function presetSumNum(m: ManscdpMessage): number | null {
  const t = textField(m.fields['SumNum']);
  if (t === null || !/^\d{1,4}$/.test(t)) return null;
  const n = Number(t);
  return n >= 1 && n <= MAX_PRESETS_LISTED * 2 ? n : null;
}

/**
 * A PresetQuery answer split over several MESSAGEs (as Catalog, each with its `<PresetList Num>` part): whole when the
 * items seen reach the first message's SumNum; a message without SumNum is whole by itself.
 */
export function presetAnswerComplete(parts: readonly ManscdpMessage[]): boolean {
  const first = parts[0];
  if (!first) return false;
  const sum = presetSumNum(first);
  if (sum === null) return true;
  let seen = 0;
  for (const p of parts) {
    if (p.root !== 'Response' || p.cmdType !== 'PresetQuery') return true;
    const r = readPresetList(p);
    seen += r.presets.length + r.dropped;
  }
  return seen >= sum;
}

/** The presets of every part, merged as readPresetList() reads one (sorted, a repeated index kept once, bounded). */
export function mergePresetLists(parts: readonly ManscdpMessage[]): { presets: Preset[]; dropped: number } {
  const byIndex = new Map<number, Preset>();
  let dropped = 0;
  for (const p of parts) {
    if (p.root !== 'Response' || p.cmdType !== 'PresetQuery') continue;
    const r = readPresetList(p);
    dropped += r.dropped;
    for (const x of r.presets) {
      if (byIndex.has(x.index) || byIndex.size >= MAX_PRESETS_LISTED) dropped++;
      else byIndex.set(x.index, x);
    }
  }
  return { presets: [...byIndex.values()].sort((a, b) => a.index - b.index), dropped };
}
