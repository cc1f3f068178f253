/**
 * MANSCDP body encoders (GB/T 28181-2016 Annex A). Each returns the bytes of a
 * whole body with the prolog `<?xml version="1.0" encoding="GB2312"?>` (or the
 * charset asked for). Text is XML-escaped; a charset that cannot hold a name
 * raises MANSCDP_UNENCODABLE (see charset.ts) instead of sending '?'.
 */
import { Gb28181Error } from '../errors';
import { encodeManscdpText, type ManscdpCharset } from './charset';
import { MAX_MANSCDP_ITEMS, type CatalogItem, type ManscdpRoot, type RecordItem } from './manscdp.types';

export const DEFAULT_MANSCDP_CHARSET: ManscdpCharset = 'GB2312';
/** Catalog items per MESSAGE by default: one keeps a GB2312 body well under a UDP MTU. */
export const DEFAULT_CATALOG_ITEMS_PER_MESSAGE = 1;
/** RecordInfo items per MESSAGE by default. */
export const DEFAULT_RECORD_ITEMS_PER_MESSAGE = 4;

type Scalar = string | number | null | undefined;

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function badField(message: string): never {
  throw new Gb28181Error('MANSCDP_BAD_FIELD', message);
}

function checkSn(sn: number): void {
  if (!Number.isSafeInteger(sn) || sn < 0) badField(`SN must be a non-negative integer, got ${sn}`);
}

/** `<Name>value</Name>\r\n`, or nothing when the value is null/undefined. */
function el(name: string, value: Scalar): string {
  if (value === null || value === undefined) return '';
  if (!NAME_RE.test(name)) badField(`not an XML element name: ${JSON.stringify(name)}`);
  if (typeof value === 'number' && !Number.isFinite(value)) badField(`<${name}> is not a finite number`);
  return `<${name}>${escapeXml(String(value))}</${name}>\r\n`;
}

function header(cmdType: string, sn: number, deviceId: string): string {
  checkSn(sn);
  return el('CmdType', cmdType) + el('SN', sn) + el('DeviceID', deviceId);
}

function document(root: ManscdpRoot, inner: string, charset: ManscdpCharset): Buffer {
  const text = `<?xml version="1.0" encoding="${charset}"?>\r\n<${root}>\r\n${inner}</${root}>\r\n`;
  return encodeManscdpText(text, charset);
}

function extraFields(extra: Record<string, string | number> | undefined): string {
  let out = '';
  if (extra) for (const [k, v] of Object.entries(extra)) out += el(k, v);
  return out;
}

/** Content-Type of a MESSAGE carrying a MANSCDP body (GB/T 28181 §9: `Application/MANSCDP+xml`). */
export const MANSCDP_CONTENT_TYPE = 'Application/MANSCDP+xml';

/** Any MANSCDP message with flat extra fields after CmdType/SN/DeviceID. */
export function encodeManscdpMessage(
  root: ManscdpRoot,
  cmdType: string,
  sn: number,
  deviceId: string,
  extra?: Record<string, string | number>,
  charset: ManscdpCharset = DEFAULT_MANSCDP_CHARSET,
): Buffer {
  return document(root, header(cmdType, sn, deviceId) + extraFields(extra), charset);
}

/** `<Query>`: Catalog, DeviceInfo, DeviceStatus, RecordInfo (extra: StartTime, EndTime, Type...). */
export function encodeQuery(
  cmdType: 'Catalog' | 'DeviceInfo' | 'DeviceStatus' | 'RecordInfo' | (string & {}),
  sn: number,
  deviceId: string,
  extra?: Record<string, string | number>,
  charset: ManscdpCharset = DEFAULT_MANSCDP_CHARSET,
): Buffer {
  return encodeManscdpMessage('Query', cmdType, sn, deviceId, extra, charset);
}

/** `<Control>`: DeviceControl (extra: PTZCmd, TeleBoot, RecordCmd...). */
export function encodeControl(
  cmdType: string,
  sn: number,
  deviceId: string,
  extra?: Record<string, string | number>,
  charset: ManscdpCharset = DEFAULT_MANSCDP_CHARSET,
): Buffer {
  return encodeManscdpMessage('Control', cmdType, sn, deviceId, extra, charset);
}

export interface EncodeAlarmOptions {
  sn: number;
  /** The alarming channel (or device). */
  deviceId: string;
  /** 1 (highest) .. 4 (a string is sent as given: a relayed alarm keeps what its device sent). */
  priority: number | string;
  /** 1 phone, 2 device, 3 SMS, 4 GPS, 5 video, 6 device fault, 7 other (§A.2.3.1.5). */
  method: number | string;
  /** Local time `YYYY-MM-DDTHH:mm:ss`. */
  time: string;
  description?: string;
  longitude?: number;
  latitude?: number;
  /** `<Info><AlarmType>` (2016 §A.2.3.1.5: the kind within the method, e.g. 2 = video loss for method 5). */
  alarmType?: number | string;
  charset?: ManscdpCharset;
}

/** `<Notify><CmdType>Alarm</CmdType>…` a device sends when an alarm fires (§9.4), and a lower platform relays upward. */
export function encodeAlarmNotify(o: EncodeAlarmOptions): Buffer {
  let inner = header('Alarm', o.sn, o.deviceId) + el('AlarmPriority', o.priority) + el('AlarmMethod', o.method) + el('AlarmTime', o.time);
  inner += el('AlarmDescription', o.description) + el('Longitude', o.longitude) + el('Latitude', o.latitude);
  if (o.alarmType !== undefined) inner += `<Info>\r\n${el('AlarmType', o.alarmType)}</Info>\r\n`;
  return document('Notify', inner, o.charset ?? DEFAULT_MANSCDP_CHARSET);
}

/** `<Response><CmdType>Alarm</CmdType>…<Result>OK</Result>`: the platform's acknowledgement of an alarm (§9.4.2). */
export function encodeAlarmResponse(sn: number, deviceId: string, charset: ManscdpCharset = DEFAULT_MANSCDP_CHARSET): Buffer {
  return encodeManscdpMessage('Response', 'Alarm', sn, deviceId, { Result: 'OK' }, charset);
}

/**
 * `<Control><CmdType>DeviceControl</CmdType>…<AlarmCmd>ResetAlarm</AlarmCmd>`: alarm reset (GB/T 28181-2016 §A.2.3.1.3),
 * with the optional `<Info><AlarmMethod>`/`<AlarmType>` that narrow which alarm. The device answers with a
 * DeviceControl Response carrying its Result.
 */
export function encodeAlarmReset(o: { sn: number; deviceId: string; alarmMethod?: number | string; alarmType?: number | string; charset?: ManscdpCharset }): Buffer {
  let inner = header('DeviceControl', o.sn, o.deviceId) + el('AlarmCmd', 'ResetAlarm');
  if (o.alarmMethod !== undefined || o.alarmType !== undefined) inner += `<Info>\r\n${el('AlarmMethod', o.alarmMethod)}${el('AlarmType', o.alarmType)}</Info>\r\n`;
  return document('Control', inner, o.charset ?? DEFAULT_MANSCDP_CHARSET);
}

/** `<Control><CmdType>DeviceControl</CmdType>…<GuardCmd>SetGuard|ResetGuard</GuardCmd>`: arm or disarm (§A.2.3.1.4). */
export function encodeGuardCmd(o: { sn: number; deviceId: string; guard: boolean; charset?: ManscdpCharset }): Buffer {
  return encodeManscdpMessage('Control', 'DeviceControl', o.sn, o.deviceId, { GuardCmd: o.guard ? 'SetGuard' : 'ResetGuard' }, o.charset);
}

export interface EncodeMobilePositionOptions {
  sn: number;
  /** The moving channel (or device). */
  deviceId: string;
  /** Local time `YYYY-MM-DDTHH:mm:ss`. */
  time: string;
  longitude: number;
  latitude: number;
  /** km/h. */
  speed?: number;
  /** Degrees clockwise from north. */
  direction?: number;
  /** Metres. */
  altitude?: number;
  charset?: ManscdpCharset;
}

/** `<Notify><CmdType>MobilePosition</CmdType>…` a moving device sends (GB/T 28181-2016 §9.10, §A.2.5.6). */
export function encodeMobilePositionNotify(o: EncodeMobilePositionOptions): Buffer {
  const inner = header('MobilePosition', o.sn, o.deviceId) + el('Time', o.time) + el('Longitude', o.longitude) + el('Latitude', o.latitude)
    + el('Speed', o.speed) + el('Direction', o.direction) + el('Altitude', o.altitude);
  return document('Notify', inner, o.charset ?? DEFAULT_MANSCDP_CHARSET);
}

/** `<Notify><CmdType>Keepalive</CmdType>…<Status>OK</Status></Notify>` (§9.6). */
export function encodeKeepalive(sn: number, deviceId: string, charset: ManscdpCharset = DEFAULT_MANSCDP_CHARSET): Buffer {
  return encodeManscdpMessage('Notify', 'Keepalive', sn, deviceId, { Status: 'OK' }, charset);
}

/** Splits `items` into chunks of `perMessage` (at least one chunk, possibly empty). */
function chunk<T>(items: readonly T[], perMessage: number): T[][] {
  if (!Number.isSafeInteger(perMessage) || perMessage < 1 || perMessage > MAX_MANSCDP_ITEMS) {
    badField(`perMessage must be an integer in 1..${MAX_MANSCDP_ITEMS}, got ${perMessage}`);
  }
  if (items.length === 0) return [[]];
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += perMessage) out.push(items.slice(i, i + perMessage));
  return out;
}

/** A catalog item to encode: any field may be left out. `businessGroupId` is written as `<BusinessGroupID>`. */
export type EncodableCatalogItem = Partial<CatalogItem> & { businessGroupId?: string | null };

function catalogItemXml(item: EncodableCatalogItem): string {
  let out = '<Item>\r\n';
  out += el('DeviceID', item.deviceId);
  out += el('Name', item.name);
  out += el('Manufacturer', item.manufacturer);
  out += el('Model', item.model);
  out += el('Owner', item.owner);
  out += el('CivilCode', item.civilCode);
  out += el('Block', item.block);
  out += el('Address', item.address);
  out += el('Parental', item.parental);
  out += el('ParentID', item.parentId);
  out += el('BusinessGroupID', item.businessGroupId);
  out += el('SafetyWay', item.safetyWay);
  out += el('RegisterWay', item.registerWay);
  out += el('Secrecy', item.secrecy);
  out += el('IPAddress', item.ipAddress);
  out += el('Port', item.port);
  out += el('Status', item.status);
  out += el('Longitude', item.longitude);
  out += el('Latitude', item.latitude);
  if (item.ptzType !== null && item.ptzType !== undefined) out += `<Info>\r\n${el('PTZType', item.ptzType)}</Info>\r\n`;
  out += el('Event', item.event);
  return out + '</Item>\r\n';
}

export interface EncodeCatalogOptions {
  sn: number;
  deviceId: string;
  /** Default: items.length. */
  sumNum?: number;
  items: EncodableCatalogItem[];
  /** Default DEFAULT_CATALOG_ITEMS_PER_MESSAGE. */
  perMessage?: number;
  charset?: ManscdpCharset;
  /** `<Notify>` (subscription NOTIFY, items carry `<Event>`) instead of `<Response>`. */
  notify?: boolean;
}

/** Catalog response packets (§9.5.2): each carries SumNum and `<DeviceList Num="k">`. */
export function encodeCatalogResponses(opts: EncodeCatalogOptions): Buffer[] {
  const charset = opts.charset ?? DEFAULT_MANSCDP_CHARSET;
  const sumNum = opts.sumNum ?? opts.items.length;
  const root: ManscdpRoot = opts.notify ? 'Notify' : 'Response';
  return chunk(opts.items, opts.perMessage ?? DEFAULT_CATALOG_ITEMS_PER_MESSAGE).map((part) => {
    let inner = header('Catalog', opts.sn, opts.deviceId) + el('SumNum', sumNum);
    inner += `<DeviceList Num="${part.length}">\r\n`;
    for (const item of part) inner += catalogItemXml(item);
    inner += '</DeviceList>\r\n';
    return document(root, inner, charset);
  });
}

export interface EncodeDeviceInfoOptions {
  sn: number;
  deviceId: string;
  deviceName?: string;
  manufacturer?: string;
  model?: string;
  firmware?: string;
  channel?: number;
  /** Default 'OK'. */
  result?: string;
  charset?: ManscdpCharset;
}

/** DeviceInfo response (§A.2.6.5). */
export function encodeDeviceInfoResponse(opts: EncodeDeviceInfoOptions): Buffer {
  const inner =
    header('DeviceInfo', opts.sn, opts.deviceId) +
    el('DeviceName', opts.deviceName) +
    el('Result', opts.result ?? 'OK') +
    el('Manufacturer', opts.manufacturer) +
    el('Model', opts.model) +
    el('Firmware', opts.firmware) +
    el('Channel', opts.channel);
  return document('Response', inner, opts.charset ?? DEFAULT_MANSCDP_CHARSET);
}

export interface EncodeDeviceStatusOptions {
  sn: number;
  deviceId: string;
  /** Default 'OK'. */
  result?: string;
  /** Default 'ONLINE'. */
  online?: string;
  /** Default 'OK'. */
  status?: string;
  encode?: string;
  record?: string;
  deviceTime?: string;
  charset?: ManscdpCharset;
}

/** DeviceStatus response (§A.2.6.4). */
export function encodeDeviceStatusResponse(opts: EncodeDeviceStatusOptions): Buffer {
  const inner =
    header('DeviceStatus', opts.sn, opts.deviceId) +
    el('Result', opts.result ?? 'OK') +
    el('Online', opts.online ?? 'ONLINE') +
    el('Status', opts.status ?? 'OK') +
    el('Encode', opts.encode) +
    el('Record', opts.record) +
    el('DeviceTime', opts.deviceTime);
  return document('Response', inner, opts.charset ?? DEFAULT_MANSCDP_CHARSET);
}

export interface EncodeRecordInfoOptions {
  sn: number;
  deviceId: string;
  name?: string;
  /** Default: items.length. */
  sumNum?: number;
  items: (Partial<RecordItem> & Pick<RecordItem, 'startTime' | 'endTime'>)[];
  /** Default DEFAULT_RECORD_ITEMS_PER_MESSAGE. */
  perMessage?: number;
  /**
   * `<Result>` after SumNum (not in §A.2.6.6; platforms write ERROR there when a lower device did not answer, so
   * that an empty list is not taken for "no recordings"). Absent by default.
   */
  result?: string;
  charset?: ManscdpCharset;
}

/** RecordInfo response packets (§A.2.6.6): SumNum and `<RecordList Num="k">` in each. */
export function encodeRecordInfoResponses(opts: EncodeRecordInfoOptions): Buffer[] {
  const charset = opts.charset ?? DEFAULT_MANSCDP_CHARSET;
  const sumNum = opts.sumNum ?? opts.items.length;
  return chunk(opts.items, opts.perMessage ?? DEFAULT_RECORD_ITEMS_PER_MESSAGE).map((part) => {
    let inner = header('RecordInfo', opts.sn, opts.deviceId) + el('Name', opts.name) + el('SumNum', sumNum) + el('Result', opts.result);
    inner += `<RecordList Num="${part.length}">\r\n`;
    for (const r of part) {
      inner +=
        '<Item>\r\n' +
        el('DeviceID', r.deviceId ?? opts.deviceId) +
        el('Name', r.name) +
        el('FilePath', r.filePath) +
        el('Address', r.address) +
        el('StartTime', r.startTime) +
        el('EndTime', r.endTime) +
        el('Secrecy', r.secrecy ?? '0') +
        el('Type', r.type) +
        el('RecorderID', r.recorderId) +
        el('FileSize', r.fileSize) +
        '</Item>\r\n';
    }
    inner += '</RecordList>\r\n';
    return document('Response', inner, charset);
  });
}

/** MediaStatus notify (§9.9.4); NotifyType 121 = the recorded file ended. */
export function encodeMediaStatusNotify(
  sn: number,
  deviceId: string,
  notifyType: string | number = '121',
  charset: ManscdpCharset = DEFAULT_MANSCDP_CHARSET,
): Buffer {
  return encodeManscdpMessage('Notify', 'MediaStatus', sn, deviceId, { NotifyType: notifyType }, charset);
}
