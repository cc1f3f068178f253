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
