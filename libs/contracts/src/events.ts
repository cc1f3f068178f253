import type { CatalogProgressDto, DeviceDto } from './devices';
import type { AlertDto, CongestionScore, VisionChannelState } from './vision';

/** Events pushed on the WebSocket at /api/events. Each frame is JSON `{type, at, data}`. */
export type GatewayEvent =
  | { type: 'device.online'; at: string; data: { deviceId: string; remoteAddress: string | null } }
  | { type: 'device.offline'; at: string; data: { deviceId: string; reason: 'keepalive-timeout' | 'unregistered' | 'expired' | 'deleted' } }
  | { type: 'device.registered'; at: string; data: DeviceDto }
  | { type: 'catalog.progress'; at: string; data: CatalogProgressDto }
  | { type: 'catalog.updated'; at: string; data: { deviceId: string; channelCount: number; complete: boolean } }
  | { type: 'congestion.score'; at: string; data: { channelId: string; t: string; scores: CongestionScore[] } }
  | { type: 'congestion.status'; at: string; data: { channelId: string; state: VisionChannelState; error: string | null } }
  | { type: 'alert.raised'; at: string; data: AlertDto }
  | { type: 'alert.cleared'; at: string; data: AlertDto }
  | { type: 'alert.acked'; at: string; data: AlertDto }
  | { type: 'download.progress'; at: string; data: DownloadProgressDto };

/** A recorded-video download (s=Download) as the gateway reports it; `progress` is 0..1. */
export interface DownloadProgressDto {
  id: string;
  deviceId: string;
  channelId: string;
  state: 'starting' | 'downloading' | 'done' | 'failed';
  progress: number;
  bytes: number;
  error: string | null;
}

export type GatewayEventType = GatewayEvent['type'];
