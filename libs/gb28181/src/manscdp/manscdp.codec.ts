/**
 * MANSCDP body codec (GB/T 28181-2016 §6.3, Annex A): bytes -> typed message.
 * Encoders live in manscdp.encoder.ts and are re-exported here.
 *
 * Order of checks, cheapest first, all on raw bytes before any text is built:
 * size -> DTD/ENTITY -> `<Item` count -> charset decode -> bounded XML read -> fields.
 */
import { Gb28181Error } from '../errors';
import { decodeManscdpBody, type ManscdpCharset } from './charset';
import { readXmlTree, type XmlObject, type XmlValue } from './manscdp-xml.parser';
import {
  DEFAULT_MANSCDP_LIMITS,
  type CatalogItem,
  type ManscdpLimits,
  type ManscdpMessage,
  type ManscdpRoot,
  type ManscdpVariant,
  type RecordItem,
} from './manscdp.types';

export * from './manscdp.encoder';

export interface ParseManscdpOptions {
  /** Per-device override; `'auto'` sniffs the bytes. Default: the XML prolog. */
  charset?: ManscdpCharset | 'auto';
  limits?: Partial<ManscdpLimits>;
}

const ROOTS: Record<string, ManscdpRoot> = {
  query: 'Query',
  control: 'Control',
  notify: 'Notify',
  response: 'Response',
};

const ITEM_TAG = Buffer.from('<Item', 'latin1');
const DECL_TAG = Buffer.from('<!', 'latin1');

/**
 * Counts `<Item` start tags in raw bytes. Safe on GB2312/GBK/GB18030 and UTF-8:
 * none of them uses 0x3C ('<') inside a multi-byte character.
 */
export function countItemTags(body: Uint8Array, stopAfter = Infinity): number {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let n = 0;
  let i = buf.indexOf(ITEM_TAG);
  while (i >= 0) {
    const next = buf[i + ITEM_TAG.length];
    // '>', '/', or whitespace: the whole name is "Item" (not "ItemList").
    if (next === 0x3e || next === 0x2f || next === 0x20 || next === 0x09 || next === 0x0a || next === 0x0d) {
      if (++n > stopAfter) return n;
    }
    i = buf.indexOf(ITEM_TAG, i + ITEM_TAG.length);
  }
  return n;
}

/** True if the raw bytes contain `<!DOCTYPE` or `<!ENTITY` (any case). */
export function hasDtd(body: Uint8Array): boolean {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let i = buf.indexOf(DECL_TAG);
  while (i >= 0) {
    const word = buf.toString('latin1', i + 2, i + 9).toUpperCase();
    if (word.startsWith('DOCTYPE') || word.startsWith('ENTITY')) return true;
    i = buf.indexOf(DECL_TAG, i + 2);
  }
  return false;
}

// ---------------------------------------------------------------- field access

type Node = XmlValue | XmlValue[] | undefined;

/** Children by lower-cased name (first wins): devices write `DeviceId`, `Alarmstatus`... */
type Folded = Map<string, Node>;

function fold(obj: XmlObject): Folded {
  const f: Folded = new Map();
  for (const key in obj) {
    const lower = key.toLowerCase();
    if (!f.has(lower)) f.set(lower, obj[key]);
  }
  return f;
}

function pick(f: Folded, name: string): Node {
  return f.get(name.toLowerCase());
}

function keyOf(obj: XmlObject, name: string): string | undefined {
  if (obj[name] !== undefined) return name;
  const lower = name.toLowerCase();
  for (const key in obj) if (key.toLowerCase() === lower) return key;
  return undefined;
}

function textOf(v: Node): string | null {
  if (v === undefined) return null;
  if (Array.isArray(v)) return textOf(v[0]);
  if (typeof v === 'string') return v === '' ? null : v;
  const t = v['#text'];
  return typeof t === 'string' && t !== '' ? t : null;
}

function objOf(v: Node): XmlObject | null {
  if (v === undefined) return null;
  if (Array.isArray(v)) return objOf(v[0]);
  return typeof v === 'string' ? null : v;
}

function str(obj: Folded, name: string): string | null {
  return textOf(pick(obj, name));
}

function int(obj: Folded, name: string): number | null {
  const t = str(obj, name);
  if (t === null) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : null;
}

function float(obj: Folded, name: string): number | null {
  const t = str(obj, name);
  if (t === null) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/** The `<Item>` elements of a list element (`DeviceList`, `RecordList`), however many. */
function listItems(obj: Folded, listName: string): XmlValue[] {
  const list = objOf(pick(obj, listName));
  if (list === null) return [];
  const items = pick(fold(list), 'Item');
  if (items === undefined) return [];
  return Array.isArray(items) ? items : [items];
}

// ---------------------------------------------------------------- variants

function catalogItem(x: XmlValue): CatalogItem | null {
  if (typeof x === 'string') return null;
  const v = fold(x);
  const deviceId = str(v, 'DeviceID');
  if (deviceId === null) return null;
  const infoObj = objOf(pick(v, 'Info'));
  const info = infoObj ? fold(infoObj) : null;
  return {
    deviceId,
    name: str(v, 'Name'),
    manufacturer: str(v, 'Manufacturer'),
    model: str(v, 'Model'),
    owner: str(v, 'Owner'),
    civilCode: str(v, 'CivilCode'),
    block: str(v, 'Block'),
    address: str(v, 'Address'),
    parental: int(v, 'Parental'),
    parentId: str(v, 'ParentID'),
    businessGroupId: str(v, 'BusinessGroupID'),
    safetyWay: str(v, 'SafetyWay'),
    registerWay: str(v, 'RegisterWay'),
    secrecy: str(v, 'Secrecy'),
    ipAddress: str(v, 'IPAddress'),
    port: int(v, 'Port'),
    status: str(v, 'Status'),
    longitude: float(v, 'Longitude'),
    latitude: float(v, 'Latitude'),
    ptzType: int(v, 'PTZType') ?? (info ? int(info, 'PTZType') : null),
    event: str(v, 'Event'),
  };
}

function recordItem(x: XmlValue, fallbackDeviceId: string): RecordItem | null {
  if (typeof x === 'string') return null;
  const v = fold(x);
  const startTime = str(v, 'StartTime');
  const endTime = str(v, 'EndTime');
  if (startTime === null || endTime === null) return null;
  return {
    deviceId: str(v, 'DeviceID') ?? fallbackDeviceId,
    name: str(v, 'Name'),
    filePath: str(v, 'FilePath'),
    address: str(v, 'Address'),
    startTime,
    endTime,
    secrecy: str(v, 'Secrecy'),
    type: str(v, 'Type'),
    recorderId: str(v, 'RecorderID'),
    fileSize: int(v, 'FileSize'),
  };
}

function collect<T>(raw: XmlValue[], map: (v: XmlValue) => T | null): { items: T[]; dropped: number } {
  const items: T[] = [];
  let dropped = 0;
  for (const v of raw) {
    const item = map(v);
    if (item === null) dropped++;
    else items.push(item);
  }
  return { items, dropped };
}

/** SumNum as sent; when absent or nonsense, what this message carried. */
function sumNumOf(obj: Folded, carried: number): number {
  const n = int(obj, 'SumNum');
  return n !== null && n >= 0 ? n : carried;
}

function variantOf(root: ManscdpRoot, cmdType: string, obj: Folded, deviceId: string): ManscdpVariant {
  const route = `${root}/${cmdType.toLowerCase()}`;
  switch (route) {
    case 'Notify/keepalive':
      return { kind: 'Keepalive', status: str(obj, 'Status') };
    case 'Response/catalog':
    case 'Notify/catalog': {
      const raw = listItems(obj, 'DeviceList');
      const { items, dropped } = collect(raw, catalogItem);
      return {
        kind: root === 'Response' ? 'CatalogResponse' : 'CatalogNotify',
        sumNum: sumNumOf(obj, raw.length),
        items,
        droppedItems: dropped,
      };
    }
    case 'Response/deviceinfo':
      return {
        kind: 'DeviceInfoResponse',
        deviceName: str(obj, 'DeviceName'),
        manufacturer: str(obj, 'Manufacturer'),
        model: str(obj, 'Model'),
        firmware: str(obj, 'Firmware'),
        channel: int(obj, 'Channel'),
        result: str(obj, 'Result'),
      };
    case 'Response/devicestatus': {
      const alarm = pick(obj, 'Alarmstatus');
      return {
        kind: 'DeviceStatusResponse',
        result: str(obj, 'Result'),
        online: str(obj, 'Online'),
        status: str(obj, 'Status'),
        encode: str(obj, 'Encode'),
        record: str(obj, 'Record'),
        deviceTime: str(obj, 'DeviceTime'),
        alarmStatus: alarm === undefined ? null : alarm,
      };
    }
    case 'Response/recordinfo': {
      const raw = listItems(obj, 'RecordList');
      const { items, dropped } = collect(raw, (v) => recordItem(v, deviceId));
      return { kind: 'RecordInfoResponse', sumNum: sumNumOf(obj, raw.length), name: str(obj, 'Name'), items, droppedItems: dropped };
    }
    case 'Notify/mediastatus':
      return { kind: 'MediaStatusNotify', notifyType: str(obj, 'NotifyType') ?? '' };
    case 'Notify/alarm': {
      const infoObj = objOf(pick(obj, 'Info'));
      const info = infoObj ? fold(infoObj) : null;
      return {
        kind: 'Alarm',
        alarmPriority: str(obj, 'AlarmPriority'),
        alarmMethod: str(obj, 'AlarmMethod'),
        alarmTime: str(obj, 'AlarmTime'),
        alarmDescription: str(obj, 'AlarmDescription'),
        alarmType: info ? str(info, 'AlarmType') : str(obj, 'AlarmType'),
        longitude: float(obj, 'Longitude'),
        latitude: float(obj, 'Latitude'),
      };
    }
    case 'Notify/mobileposition':
      return {
        kind: 'MobilePositionNotify',
        time: str(obj, 'Time'),
        longitude: str(obj, 'Longitude'),
        latitude: str(obj, 'Latitude'),
        speed: str(obj, 'Speed'),
        direction: str(obj, 'Direction'),
        altitude: str(obj, 'Altitude'),
      };
    case 'Query/catalog':
      return { kind: 'CatalogQuery', startTime: str(obj, 'StartTime'), endTime: str(obj, 'EndTime') };
    case 'Query/deviceinfo':
      return { kind: 'DeviceInfoQuery' };
    case 'Query/devicestatus':
      return { kind: 'DeviceStatusQuery' };
    case 'Query/recordinfo':
      return {
        kind: 'RecordInfoQuery',
        startTime: str(obj, 'StartTime'),
        endTime: str(obj, 'EndTime'),
        type: str(obj, 'Type'),
        filePath: str(obj, 'FilePath'),
        address: str(obj, 'Address'),
        secrecy: str(obj, 'Secrecy'),
        recorderId: str(obj, 'RecorderID'),
      };
    default:
      return { kind: 'Other' };
  }
}

// ---------------------------------------------------------------- entry point

function missing(field: string, detail = 'is missing'): never {
  throw new Gb28181Error('MANSCDP_MISSING_FIELD', `<${field}> ${detail}`);
}

/**
 * A keepalive exactly as devices send it (an optional XML declaration, then Notify with CmdType Keepalive, SN,
 * DeviceID and Status in that order, XML whitespace only between elements). Keepalives are most of a gateway's
 * MESSAGEs; this reads them without building the element tree. Anything else (comments, attributes, other order or
 * case, entities, more elements) is read by the full parser, which gives the same result for these.
 */
const CANONICAL_KEEPALIVE =
  /^[ \t\r\n]*(?:<\?xml[^<>]*\?>[ \t\r\n]*)?<Notify>[ \t\r\n]*<CmdType>Keepalive<\/CmdType>[ \t\r\n]*<SN>(\d{1,15})<\/SN>[ \t\r\n]*<DeviceID>([0-9A-Za-z]{1,64})<\/DeviceID>[ \t\r\n]*<Status>([0-9A-Za-z]{1,32})<\/Status>[ \t\r\n]*<\/Notify>[ \t\r\n]*$/;

function canonicalKeepalive(text: string, charset: ManscdpCharset): ManscdpMessage | null {
  if (text.length > 512) return null;
  const m = CANONICAL_KEEPALIVE.exec(text);
  if (m === null) return null;
  const fields = Object.create(null) as Record<string, unknown>;
  fields['Status'] = m[3]!;
  return { root: 'Notify', cmdType: 'Keepalive', sn: Number(m[1]), deviceId: m[2]!, charset, fields, kind: 'Keepalive', status: m[3]! };
}

/**
 * Parses a MANSCDP body. Every failure is a `Gb28181Error`:
 * MANSCDP_TOO_LARGE, MANSCDP_DTD_FORBIDDEN, MANSCDP_TOO_MANY_ITEMS, MANSCDP_BAD_XML,
 * MANSCDP_TOO_DEEP, MANSCDP_NO_ROOT, MANSCDP_MISSING_FIELD.
 */
export function parseManscdp(body: Buffer, opts: ParseManscdpOptions = {}): ManscdpMessage {
  const limits: ManscdpLimits = { ...DEFAULT_MANSCDP_LIMITS, ...opts.limits };
  if (body.length > limits.maxBodyBytes) {
    throw new Gb28181Error('MANSCDP_TOO_LARGE', `body of ${body.length} bytes exceeds ${limits.maxBodyBytes}`);
  }
  if (hasDtd(body)) {
    throw new Gb28181Error('MANSCDP_DTD_FORBIDDEN', 'DTDs and entity declarations are not accepted');
  }
  // Refuse oversized lists before decoding or building anything.
  if (countItemTags(body, limits.maxItems) > limits.maxItems) {
    throw new Gb28181Error('MANSCDP_TOO_MANY_ITEMS', `more than ${limits.maxItems} <Item> elements`);
  }
  const { text, charset } = decodeManscdpBody(body, opts.charset);
  const keepalive = canonicalKeepalive(text, charset);
  if (keepalive) return keepalive;
  const { rootName, root: tree } = readXmlTree(text, { maxDepth: limits.maxDepth, maxItems: limits.maxItems });
  const root = ROOTS[rootName.toLowerCase()];
  if (root === undefined) {
    throw new Gb28181Error('MANSCDP_NO_ROOT', `root <${rootName.slice(0, 64)}> is not Query, Control, Notify or Response`);
  }
  if (typeof tree === 'string') missing('CmdType');
  const top = fold(tree);
  const cmdType = str(top, 'CmdType') ?? missing('CmdType');
  const snText = str(top, 'SN') ?? missing('SN');
  if (!/^\d{1,15}$/.test(snText)) missing('SN', `is not a number: ${JSON.stringify(snText.slice(0, 32))}`);
  const deviceId = str(top, 'DeviceID') ?? missing('DeviceID');

  const fields: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const skip = new Set([keyOf(tree, 'CmdType'), keyOf(tree, 'SN'), keyOf(tree, 'DeviceID')]);
  for (const key in tree) if (!skip.has(key)) fields[key] = tree[key];

  const base = { root, cmdType, sn: Number(snText), deviceId, charset, fields };
  return { ...base, ...variantOf(root, cmdType, top, deviceId) };
}
