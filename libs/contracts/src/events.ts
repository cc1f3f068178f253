import type { CatalogProgressDto, ChannelDto, DeviceDto } from './devices';
import type { AlertDto, CongestionScore, SceneState, SnapshotBox, VisionChannelState } from './vision';

/** Events pushed on the WebSocket at /api/events. Each frame is JSON `{type, at, data}`. */
export type GatewayEvent =
  | { type: 'device.online'; at: string; data: { deviceId: string; remoteAddress: string | null } }
  | { type: 'device.offline'; at: string; data: { deviceId: string; reason: 'keepalive-timeout' | 'unregistered' | 'expired' | 'deleted' } }
  | { type: 'device.registered'; at: string; data: DeviceDto }
  | { type: 'catalog.progress'; at: string; data: CatalogProgressDto }
  | { type: 'catalog.updated'; at: string; data: { deviceId: string; channelCount: number; complete: boolean } }
  | { type: 'catalog.changed'; at: string; data: CatalogChangedDto }
  | { type: 'congestion.score'; at: string; data: { channelId: string; t: string; scores: CongestionScore[]; boxes: SnapshotBox[]; scene: SceneState | null } }
  | { type: 'congestion.status'; at: string; data: { channelId: string; state: VisionChannelState; error: string | null } }
  | { type: 'congestion.forming'; at: string; data: CongestionFormingEvent }
  | { type: 'congestion.forming.ended'; at: string; data: { channelId: string; roi: string; reason: 'reached' | 'eased' | 'reset' } }
  | { type: 'ptz.sent'; at: string; data: { deviceId: string; channelId: string; action: 'move' | 'stop' | 'preset' | 'focusIris' | 'cruise' | 'scan'; movesCamera: boolean } }
  | { type: 'alert.raised'; at: string; data: AlertDto }
  | { type: 'alert.cleared'; at: string; data: AlertDto }
  | { type: 'alert.acked'; at: string; data: AlertDto }
  | { type: 'download.progress'; at: string; data: DownloadProgressDto }
  | { type: 'device.alarm'; at: string; data: DeviceAlarmDto }
  /** A stored alarm acknowledged or cleared (GET /api/device-alarms shows the same). */
  | { type: 'device.alarm.updated'; at: string; data: DeviceAlarmDto }
  /** A channel's mobile position (GB/T 28181 §9.10 Notify/MobilePosition), as stored. */
  | { type: 'position.updated'; at: string; data: ChannelPositionEventDto };

/**
 * Onset warning of a ROI (docs/congestion.md, "Onset warning"): its queue is forming, before the held alert. Ends with
 * congestion.forming.ended: `reached` (heavy: the held alert takes over), `eased`, or `reset` (the watch stopped or
 * the channel's ROIs changed).
 */
export interface CongestionFormingEvent {
  channelId: string;
  roi: string;
  index: number;
  /** Least-squares slope of the index over the onset window, points per minute. */
  slopePerMin: number;
  stationaryShare: number | null;
  /** ISO time of the score that started it. */
  at: string;
}

/** An alarm a device reported (GB/T 28181 §9.4 Notify/Alarm), as the gateway keeps it. */
export interface DeviceAlarmDto {
  id: string;
  deviceId: string;
  /** The alarming channel (the message's DeviceID; the device itself for device-level alarms). */
  channelId: string;
  /** 1 (highest) .. 4, as sent. */
  priority: string | null;
  /** 1 phone, 2 device, 3 SMS, 4 GPS, 5 video, 6 device fault, 7 other, as sent. */
  method: string | null;
  /** The device's local AlarmTime, as sent. */
  time: string | null;
  description: string | null;
  type: string | null;
  longitude: number | null;
  latitude: number | null;
  receivedAt: string;
  /** open: neither acknowledged nor cleared. */
  state: DeviceAlarmState;
  ackedAt: string | null;
  ackedBy: string | null;
  clearedAt: string | null;
  clearedBy: string | null;
}

export type DeviceAlarmState = 'open' | 'acknowledged' | 'cleared';

/** GET /api/device-alarms: one page, newest first; `nextCursor` fetches the next (older) page, null at the end. */
export interface DeviceAlarmPageDto {
  items: DeviceAlarmDto[];
  nextCursor: string | null;
}

/** POST /api/devices/:deviceId/alarm-reset and /guard: the device's DeviceControl Response Result (OK). */
export interface DeviceControlResultDto {
  deviceId: string;
  targetId: string;
  command: 'ResetAlarm' | 'SetGuard' | 'ResetGuard';
  sn: number;
  result: 'OK';
}

/** One mobile position of a channel (GB/T 28181 §9.10). `time`: ISO, the device's time read as the gateway's local time. */
export interface ChannelPositionDto {
  time: string;
  longitude: number;
  latitude: number;
  /** km/h. */
  speed: number | null;
  /** Degrees clockwise from north. */
  direction: number | null;
  /** Metres. */
  altitude: number | null;
}

export interface ChannelPositionEventDto extends ChannelPositionDto {
  deviceId: string;
  channelId: string;
}

/**
 * Catalog changes a device notified (GB/T 28181 §9.11.3: a catalog subscription's NOTIFY, or a Notify/Catalog
 * MESSAGE with `<Event>` items), as applied to its stored channels. `changes` holds at most MAX_CATALOG_CHANGES_IN_EVENT
 * entries (`more` counts the rest); `channel` is the item as stored afterwards (null after DEL).
 */
export interface CatalogChangedDto {
  deviceId: string;
  channelCount: number;
  changes: Array<{ channelId: string; event: 'ON' | 'OFF' | 'VLOST' | 'DEFECT' | 'ADD' | 'DEL' | 'UPDATE'; channel: ChannelDto | null }>;
  more: number;
}

/** Most changes one catalog.changed event lists. */
export const MAX_CATALOG_CHANGES_IN_EVENT = 200;

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

/**
 * POST /api/devices/:deviceId/control and /reboot: `OK` when the device answered a DeviceControl Response with
 * Result OK (RecordCmd, HomePosition); `ACCEPTED` when the command has no Response in GB/T 28181 (TeleBoot,
 * IFameCmd, DragZoomIn/Out) and the device answered the MESSAGE 200.
 */
export interface DeviceCommandResultDto {
  deviceId: string;
  targetId: string;
  command: 'TeleBoot' | 'Record' | 'StopRecord' | 'IFameCmd' | 'DragZoomIn' | 'DragZoomOut' | 'HomePosition' | 'DeviceConfig';
  sn: number;
  result: 'OK' | 'ACCEPTED';
}

/** GET /api/devices/:deviceId/channels/:channelId/presets: the channel's presets from a PresetQuery (§A.2.4.8). */
export interface ChannelPresetsDto {
  deviceId: string;
  channelId: string;
  presets: { index: number; name: string }[];
}

/** GET/PUT /api/devices/:deviceId/config: the device's BasicParam (ConfigDownload §A.2.6.9); null where not reported. */
export interface DeviceBasicConfigDto {
  deviceId: string;
  name: string | null;
  expirationS: number | null;
  heartbeatIntervalS: number | null;
  heartbeatCount: number | null;
  sipServerId: string | null;
  sipServerIp: string | null;
  sipServerPort: number | null;
  domainName: string | null;
}
