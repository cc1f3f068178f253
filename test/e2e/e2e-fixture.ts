import type { ChannelDto, DeviceDto } from '@gb/contracts';
import type { TestGateway } from '../support/gateway-harness';

/** The global device password the end-to-end gateways run with. */
export const SIP_PASSWORD = '12345678';

/**
 * Gateway settings for end-to-end tests: digest on, keepalive bound 1 s × 2, catalog gap 1 s
 * (short bounds so the specs observe timeouts within seconds).
 */
export function e2eGatewayEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    SIP_PASSWORD,
    KEEPALIVE_INTERVAL_S: '1',
    KEEPALIVE_MAX_MISSED: '2',
    CATALOG_GAP_TIMEOUT_MS: '1000',
    LIVENESS_FLUSH_MS: '200',
    ...extra,
  };
}

export function sipTarget(gw: TestGateway): string {
  return `127.0.0.1:${gw.sipPort}`;
}

export async function listDevices(gw: TestGateway): Promise<DeviceDto[]> {
  const r = await gw.api<DeviceDto[]>('/api/devices');
  if (r.status !== 200) throw new Error(`GET /api/devices -> ${r.status}`);
  return r.body;
}

export async function findDevice(gw: TestGateway, deviceId: string): Promise<DeviceDto | undefined> {
  return (await listDevices(gw)).find((d) => d.deviceId === deviceId);
}

export async function listChannels(gw: TestGateway, deviceId: string): Promise<ChannelDto[]> {
  const r = await gw.api<ChannelDto[]>(`/api/devices/${deviceId}/channels`);
  if (r.status !== 200) throw new Error(`GET /api/devices/${deviceId}/channels -> ${r.status}`);
  return r.body;
}

/** Channel IDs and names the device-answers.xml scenario reports in its two catalog packets. */
export const SIPP_CATALOG = [
  { channelId: '34020000001310000001', name: '东门路口一号' },
  { channelId: '34020000001310000002', name: '西门路口二号' },
];
