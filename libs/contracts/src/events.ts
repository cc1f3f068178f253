import type { CatalogProgressDto, DeviceDto } from './devices';

/** Events pushed on the WebSocket at /api/events. Each frame is JSON `{type, at, data}`. */
export type GatewayEvent =
  | { type: 'device.online'; at: string; data: { deviceId: string; remoteAddress: string | null } }
  | { type: 'device.offline'; at: string; data: { deviceId: string; reason: 'keepalive-timeout' | 'unregistered' | 'expired' | 'deleted' } }
  | { type: 'device.registered'; at: string; data: DeviceDto }
  | { type: 'catalog.progress'; at: string; data: CatalogProgressDto }
  | { type: 'catalog.updated'; at: string; data: { deviceId: string; channelCount: number; complete: boolean } };

export type GatewayEventType = GatewayEvent['type'];
