import type { CatalogItem, ManscdpCharset } from '@gb/gb28181';
import type { SimVoiceOptions } from './media/sim-voice';

export type SimTransport = 'udp' | 'tcp';

/** What one simulated device needs to know. Every field is documented with the default the CLI uses. */
export interface SimulatedDeviceOptions {
  /** 20-digit device ID (type 111/118/132...). */
  deviceId: string;
  /** Platform SIP address. */
  serverHost: string;
  serverPort: number;
  /** Platform 20-digit ID (Request-URI user and To). Default 34020000002000000001. */
  serverId: string;
  /** SIP domain (Request-URI host). Default: first 10 digits of serverId. */
  domain: string;
  /** Digest password; empty = answer no challenge (a 401 is then reported as `unauthorized`). */
  password: string;
  transport: SimTransport;
  /** Address the device binds and advertises in Via/Contact. Default 127.0.0.1. */
  localHost: string;
  /** Local port; 0 = ephemeral. */
  localPort?: number;
  /** REGISTER Expires, seconds. Default 3600. */
  expires: number;
  /** Keepalive MESSAGE interval, seconds. Default 60. */
  keepaliveSeconds: number;
  /** Charset of MANSCDP bodies sent. Default GB2312 (what the standard asks for). */
  charset: ManscdpCharset;
  /** Catalog items per MESSAGE. Default 2 (so a platform's aggregation gets exercised). */
  catalogPerMessage: number;
  /** Channels this device reports in its Catalog. */
  channels: Partial<CatalogItem>[];
  manufacturer: string;
  model: string;
  firmware: string;
  /** Name reported in DeviceInfo. */
  name: string;
  /** RFC 3261 T1 (UDP retransmit base), ms. Default 500. Timer F = 64 × T1. */
  t1Ms?: number;
  /**
   * Pause after a failed registration before trying again, ms. Default 5000; 0 = do not retry. With
   * `fallbackServers`, the pause comes after a whole round of addresses gave no answer (moving to the next
   * address after one did not answer is immediate).
   */
  retryDelayMs?: number;
  /**
   * Backup platform addresses, tried in order after the primary (serverHost:serverPort), round-robin, as
   * cameras with a primary and a backup SIP server do (Hikvision, Dahua). The device moves to the next
   * address when it judges its server gone: MAX_MISSED_KEEPALIVES keepalives in a row without any answer,
   * a REGISTER without a final answer (serverTimeoutMs), or, over TCP, a lost or refused connection. It then
   * registers there afresh (new Call-ID, CSeq from 1, digest as usual) from the same UDP socket, or over a
   * new TCP connection, and emits `server-changed`. Non-2xx answers (a 404 to a keepalive, a 403) prove the
   * server alive: the device re-registers with it as without fallbacks. Default none.
   */
  fallbackServers?: SimServerAddress[];
  /**
   * How long a REGISTER or keepalive waits for a final answer before it counts as unanswered, ms.
   * Default Timer F (64 × T1). A keepalive also counts as missed when the next one is due and it is still
   * unanswered (the platform's own offline rule, §9.6, seen from the device).
   */
  serverTimeoutMs?: number;
  /**
   * How the device answers a DeviceControl that has a Response (AlarmCmd, GuardCmd, RecordCmd, §A.2.6.1), after
   * its 200: 'OK' (default), 'ERROR' (refuses, as a camera without that feature), 'none' (no Response at all).
   */
  controlResult?: 'OK' | 'ERROR' | 'none';
  /**
   * The PTZ presets a PresetQuery lists (§A.2.4.8). Default SIM_PRESETS (three named presets); with controlResult
   * ERROR the answer is a Result ERROR without a list, with 'none' there is no answer (as for ConfigDownload).
   */
  presets?: ReadonlyArray<{ index: number; name: string }>;
  /** After a TeleBoot: how long the device is "restarting" (silent) before it registers anew, ms. Default 1000. */
  rebootMs?: number;
  /**
   * Moving device (GB/T 28181 §9.10): every positionIntervalS seconds while registered, a MobilePosition Notify for
   * its first channel (the device when it has none), walking `positionPath` (lon/lat corners, looped; default a
   * ~200 m square) at 36 km/h with the heading along the path. Default off.
   */
  positionIntervalS?: number;
  positionPath?: ReadonlyArray<readonly [number, number]>;
  /**
   * Event packages this device accepts SUBSCRIBE for (RFC 6665, GB/T 28181 §9.11): 'MobilePosition' (NOTIFYs every
   * `<Interval>` s along positionPath), 'Alarm' (notifyAlarm()). Others get 489. Default none: every SUBSCRIBE is 501,
   * as from a camera without subscriptions.
   */
  acceptSubscriptions?: ReadonlyArray<'Alarm' | 'MobilePosition' | 'Catalog'>;
  /** Voice broadcast and talk (SimVoice): payload, broadcast transport, ok/refuse/busy. Default PCMA over UDP, ok. */
  voice?: SimVoiceOptions;
}

/** One platform SIP address. */
export interface SimServerAddress {
  host: string;
  port: number;
}

export const DEFAULT_SERVER_ID = '34020000002000000001';
export const DEFAULT_FIRST_DEVICE_ID = '34020000001320000001';
export const DEFAULT_CIVIL_CODE = '340200';

/** Chinese intersection names, so platforms get tested on real GB2312 text. */
const PLACE_NAMES = ['东门路口', '西湖大道', '南京路', '北站广场', '人民公园', '中山桥', '滨江路', '高新区'];
const ORDINALS = ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];

/** `一号`..`十号`, then arabic digits (`11号`). */
export function chineseOrdinal(n: number): string {
  return (n >= 1 && n <= ORDINALS.length ? ORDINALS[n - 1]! : String(n)) + '号';
}

/** Adds `delta` to the 6-digit serial at the end of a 20-digit ID, keeping its width. */
export function offsetGbId(id: string, delta: number): string {
  if (!/^\d{20}$/.test(id)) throw new Error(`not a 20-digit GB28181 id: ${id}`);
  const serial = Number(id.slice(14)) + delta;
  if (serial < 0 || serial > 999_999) throw new Error(`serial out of range for ${id} + ${delta}`);
  return id.slice(0, 14) + String(serial).padStart(6, '0');
}

/**
 * The device's channel IDs: same centre code and industry as the device, type 131 (camera) for
 * even indexes and 132 (IPC) for odd ones, serial = device serial × 100 + index (mod 10^6).
 */
export function channelId(deviceId: string, index: number, type: '131' | '132' = index % 2 === 0 ? '132' : '131'): string {
  const serial = (Number(deviceId.slice(14)) * 100 + index) % 1_000_000;
  return deviceId.slice(0, 10) + type + deviceId.slice(13, 14) + String(serial).padStart(6, '0');
}

/** The Chinese name of channel `index` (1-based) of device number `deviceIndex` (0-based). */
export function channelName(deviceIndex: number, index: number): string {
  return PLACE_NAMES[deviceIndex % PLACE_NAMES.length]! + chineseOrdinal(index);
}

/** K channel catalog items for a device, ParentID = the device. */
export function buildChannels(deviceId: string, deviceIndex: number, count: number, civilCode = DEFAULT_CIVIL_CODE): Partial<CatalogItem>[] {
  const out: Partial<CatalogItem>[] = [];
  for (let i = 1; i <= count; i++) {
    out.push({
      deviceId: channelId(deviceId, i),
      name: channelName(deviceIndex, i),
      manufacturer: 'GBSIM',
      model: 'SIM-IPC',
      owner: 'Owner',
      civilCode,
      address: `${PLACE_NAMES[deviceIndex % PLACE_NAMES.length]}${i}号杆`,
      parental: 0,
      parentId: deviceId,
      safetyWay: '0',
      registerWay: '1',
      secrecy: '0',
      status: 'ON',
      longitude: Number((120.15 + deviceIndex * 0.001 + i * 0.0001).toFixed(6)),
      latitude: Number((30.28 + deviceIndex * 0.001 + i * 0.0001).toFixed(6)),
      // Channel 1 is a dome (PTZType 1: the platform offers PTZ), the others fixed cameras (3), as on a typical NVR.
      ptzType: i === 1 ? 1 : 3,
    });
  }
  return out;
}

/** Options of device number `index` in a fleet, derived from shared settings. */
export interface FleetDeviceTemplate extends Omit<SimulatedDeviceOptions, 'deviceId' | 'channels' | 'name'> {
  firstDeviceId: string;
  channelsPerDevice: number;
  civilCode?: string;
}

export function deviceOptionsAt(t: FleetDeviceTemplate, index: number): SimulatedDeviceOptions {
  const { firstDeviceId, channelsPerDevice, civilCode, ...rest } = t;
  const deviceId = offsetGbId(firstDeviceId, index);
  return { ...rest, deviceId, name: `模拟设备${index + 1}`, channels: buildChannels(deviceId, index, channelsPerDevice, civilCode) };
}
