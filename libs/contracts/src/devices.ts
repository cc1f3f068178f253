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

export interface ChannelDto {
  channelId: string;
  deviceId: string;
  name: string | null;
  status: 'ON' | 'OFF' | string;
  parentId: string | null;
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
