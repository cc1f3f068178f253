/**
 * MANSCDP message model (GB/T 28181-2016 §6.3 and Annex A: Query / Control /
 * Notify / Response bodies carried in SIP MESSAGE, NOTIFY and SUBSCRIBE).
 */
import type { ManscdpCharset } from './charset';

/** Largest MANSCDP body accepted, in bytes. */
export const MAX_MANSCDP_BODY_BYTES = 2 * 1024 * 1024;
/** Most `<Item>` elements in one message (the standard allows up to 10000 per message). */
export const MAX_MANSCDP_ITEMS = 10_000;
/** Deepest element nesting accepted (real bodies stay under 6). */
export const MAX_MANSCDP_DEPTH = 32;

export interface ManscdpLimits {
  maxBodyBytes: number;
  maxItems: number;
  maxDepth: number;
}

export const DEFAULT_MANSCDP_LIMITS: Readonly<ManscdpLimits> = Object.freeze({
  maxBodyBytes: MAX_MANSCDP_BODY_BYTES,
  maxItems: MAX_MANSCDP_ITEMS,
  maxDepth: MAX_MANSCDP_DEPTH,
});

export type ManscdpRoot = 'Query' | 'Control' | 'Notify' | 'Response';

/** One `<Item>` of a Catalog response or notify (§A.2.6.1). Null where the device omitted it. */
export interface CatalogItem {
  deviceId: string;
  name: string | null;
  manufacturer: string | null;
  model: string | null;
  owner: string | null;
  civilCode: string | null;
  block: string | null;
  address: string | null;
  /** 1 = has children, 0 = leaf. */
  parental: number | null;
  parentId: string | null;
  /** `<BusinessGroupID>` (virtual organisations, 2016 §A.2.4.5: the business group they belong to); absent = null. */
  businessGroupId?: string | null;
  safetyWay: string | null;
  registerWay: string | null;
  secrecy: string | null;
  ipAddress: string | null;
  port: number | null;
  /** ON / OFF (some devices: ONLINE / OFFLINE), as sent. */
  status: string | null;
  longitude: number | null;
  latitude: number | null;
  /** `<Info><PTZType>`: 1 dome, 2 half-dome, 3 fixed, 4 remote-controlled fixed. */
  ptzType: number | null;
  /** NOTIFY only: ON / OFF / VLOST / DEFECT / ADD / DEL / UPDATE. */
  event: string | null;
}

/** One `<Item>` of a RecordInfo response (§A.2.6.6). */
export interface RecordItem {
  /** The channel; the message's DeviceID when the item omits it. */
  deviceId: string;
  name: string | null;
  filePath: string | null;
  address: string | null;
  startTime: string;
  endTime: string;
  secrecy: string | null;
  /** time / alarm / manual / all. */
  type: string | null;
  recorderId: string | null;
  fileSize: number | null;
}

export interface ManscdpBase {
  root: ManscdpRoot;
  cmdType: string;
  sn: number;
  deviceId: string;
  charset: ManscdpCharset;
  /** The whole parsed tree of the root element, minus CmdType, SN and DeviceID. */
  fields: Record<string, unknown>;
}

export interface KeepaliveVariant {
  kind: 'Keepalive';
  status: string | null;
}

export interface CatalogResponseVariant {
  kind: 'CatalogResponse';
  sumNum: number;
  items: CatalogItem[];
  /** Items dropped because they had no DeviceID. */
  droppedItems: number;
}

export interface CatalogNotifyVariant {
  kind: 'CatalogNotify';
  sumNum: number;
  items: CatalogItem[];
  droppedItems: number;
}

export interface DeviceInfoResponseVariant {
  kind: 'DeviceInfoResponse';
  deviceName: string | null;
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  channel: number | null;
  result: string | null;
}

export interface DeviceStatusResponseVariant {
  kind: 'DeviceStatusResponse';
  result: string | null;
  /** ONLINE / OFFLINE. */
  online: string | null;
  /** OK / ERROR. */
  status: string | null;
  encode: string | null;
  record: string | null;
  deviceTime: string | null;
  /** The `<Alarmstatus>` subtree as parsed, or null. */
  alarmStatus: unknown;
}

export interface RecordInfoResponseVariant {
  kind: 'RecordInfoResponse';
  sumNum: number;
  name: string | null;
  items: RecordItem[];
  /** Items dropped because they had no StartTime or EndTime. */
  droppedItems: number;
}

export interface MediaStatusNotifyVariant {
  kind: 'MediaStatusNotify';
  /** '121' = the recorded file has ended (playback/download). */
  notifyType: string;
}

export interface AlarmVariant {
  kind: 'Alarm';
  alarmPriority: string | null;
  alarmMethod: string | null;
  alarmTime: string | null;
  alarmDescription: string | null;
  /** `<Info><AlarmType>` when present. */
  alarmType: string | null;
  longitude: number | null;
  latitude: number | null;
}

/**
 * `<Notify><CmdType>MobilePosition</CmdType>` (GB/T 28181-2016 §9.10, §A.2.5.6): the texts as sent, null where
 * absent or empty; readMobilePosition() (mobile-position.ts) checks and converts them.
 */
export interface MobilePositionNotifyVariant {
  kind: 'MobilePositionNotify';
  time: string | null;
  longitude: string | null;
  latitude: string | null;
  speed: string | null;
  direction: string | null;
  altitude: string | null;
}

export interface CatalogQueryVariant {
  kind: 'CatalogQuery';
  startTime: string | null;
  endTime: string | null;
}

export interface DeviceInfoQueryVariant {
  kind: 'DeviceInfoQuery';
}

export interface DeviceStatusQueryVariant {
  kind: 'DeviceStatusQuery';
}

export interface RecordInfoQueryVariant {
  kind: 'RecordInfoQuery';
  startTime: string | null;
  endTime: string | null;
  type: string | null;
  filePath: string | null;
  address: string | null;
  secrecy: string | null;
  recorderId: string | null;
}

export interface OtherVariant {
  kind: 'Other';
}

export type ManscdpVariant =
  | KeepaliveVariant
  | CatalogResponseVariant
  | CatalogNotifyVariant
  | DeviceInfoResponseVariant
  | DeviceStatusResponseVariant
  | RecordInfoResponseVariant
  | MediaStatusNotifyVariant
  | AlarmVariant
  | MobilePositionNotifyVariant
  | CatalogQueryVariant
  | DeviceInfoQueryVariant
  | DeviceStatusQueryVariant
  | RecordInfoQueryVariant
  | OtherVariant;

export type ManscdpMessage = ManscdpBase & ManscdpVariant;

export type ManscdpKind = ManscdpVariant['kind'];
