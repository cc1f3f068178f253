import type { ChannelPositionDto } from './events';
/** Shapes the gateway's HTTP API returns; shared by gateway, worker and web. */
export type SipTransport = 'udp' | 'tcp';
export type StreamTransport = 'udp' | 'tcp-passive' | 'tcp-active';
export type DeviceCharset = 'auto' | 'GB2312' | 'GBK' | 'GB18030' | 'UTF-8';

export interface DeviceDto {
  deviceId: string;
  name: string | null;
  online: boolean;
  transport: SipTransport;
  remoteAddress: string | null;
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  /** Channels of its catalog, directory items (civil codes, groups, organisations) not counted. */
  channelCount: number;
  registeredAt: string | null;
  lastKeepaliveAt: string | null;
  expires: number | null;
  charset: DeviceCharset;
  streamTransport: StreamTransport;
  hasPassword: boolean;
  catalogSyncedAt: string | null;
  /** NODE_ID of the gateway node that owns the device (it registered there last); null when no node holds it. */
  node: string | null;
  /**
   * Set on the gateway's own device of stream proxies (no SIP: not edited, deleted or queried; its channels are managed
   * under /api/proxies). Absent on GB devices.
   */
  virtual?: 'stream-proxies';
}

/**
 * What a catalog item is: a `channel` (camera or other front-end peripheral: played, recorded, steered) or a
 * directory node of the device's tree: an administrative `region` (civil code), a `platform` (type 200), a
 * `business-group` (215), a `virtual-organisation` (216) or a `device` (DVR/NVR listed with its channels under it).
 * Directories are never played and never counted as cameras. Same literal as CATALOG_ITEM_KINDS in libs/gb28181
 * (apps/gateway/src/devices/channel-kind.spec.ts asserts the two agree).
 */
export const CHANNEL_KINDS = ['channel', 'region', 'platform', 'business-group', 'virtual-organisation', 'device'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export interface ChannelDto {
  channelId: string;
  deviceId: string;
  name: string | null;
  /** `ON` / `OFF` as the catalog sent it; a change notification may also leave `VLOST` or `DEFECT` (not online). */
  status: 'ON' | 'OFF' | string;
  /** `<ParentID>` as sent: the parent item's ID, or a path `a/b/c` whose last segment is the parent. */
  parentId: string | null;
  /** `<BusinessGroupID>` (virtual organisations): the business group an item belongs to. */
  businessGroupId: string | null;
  kind: ChannelKind;
  /** kind !== 'channel': a tree node, not a camera (no play, records, PTZ; not in channel counts). */
  isDirectory: boolean;
  civilCode: string | null;
  manufacturer: string | null;
  model: string | null;
  address: string | null;
  ipAddress: string | null;
  longitude: number | null;
  latitude: number | null;
  ptzType: number | null;
  /**
   * The latest mobile position a moving channel reported (GB/T 28181 §9.10), null when none is stored. Device
   * channel lists always carry it; channels that cannot move (stream proxies) may leave it out.
   */
  position?: ChannelPositionDto | null;
}

export interface CatalogProgressDto {
  deviceId: string;
  sn: number;
  received: number;
  sumNum: number;
  done: boolean;
}

/** GET /api/channels: one page of the channels of every device, and how many match in all. */
export interface ChannelPageDto {
  total: number;
  items: ChannelDto[];
}

/** One event subscription of the gateway to a device (GB/T 28181 §9.11), as GET /api/devices/:d/subscriptions shows it. */
export interface DeviceSubscriptionDto {
  /** refused: the device does not do it (405, 489, 501…), not retried until it registers again; failed: gave up after retries. */
  state: 'subscribing' | 'active' | 'retrying' | 'refused' | 'failed' | 'stopped';
  cause: string | null;
  since: string;
  activeUntil: string | null;
  nextAttemptAt: string | null;
}

/** The gateway's subscriptions to one device; null where its config (CATALOG_/ALARM_/MOBILE_POSITION_SUBSCRIBE) asks none. */
export interface DeviceSubscriptionsDto {
  deviceId: string;
  catalog: DeviceSubscriptionDto | null;
  alarm: DeviceSubscriptionDto | null;
  mobilePosition: DeviceSubscriptionDto | null;
  /** The device's own settings (PUT); null = follows the config. */
  settings: DeviceSubscriptionSettingsDto;
}

/** PUT /api/devices/:d/subscriptions (fields left out are kept; null = follow the config again). */
export interface DeviceSubscriptionSettingsDto {
  catalog: boolean | null;
  alarm: boolean | null;
  mobilePosition: { enabled: boolean | null; intervalS: number | null };
}
