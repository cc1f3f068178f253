import type { ChannelDto, DeviceCharset, DeviceDto, StreamTransport } from '@gb/contracts';

export interface DevicePatch {
  /** null clears the per-device password (the global SIP_PASSWORD applies again). */
  password?: string | null;
  charset?: DeviceCharset;
  streamTransport?: StreamTransport;
  name?: string;
}

export interface DeviceStatusResult {
  deviceId: string;
  online: boolean;
  status: string | null;
  result: string | null;
  encode: string | null;
  record: string | null;
  deviceTime: string | null;
  raw: Record<string, unknown>;
}

/**
 * What the API (and later the dashboard) may ask about devices. Implemented by DevicesService;
 * an abstract class so it doubles as the Nest injection token.
 * Errors: GatewayError DEVICE_NOT_FOUND, DEVICE_OFFLINE, DEVICE_TIMEOUT.
 */
export abstract class DeviceDirectory {
  abstract list(): Promise<DeviceDto[]>;
  abstract get(deviceId: string): Promise<DeviceDto>;
  abstract listChannels(deviceId: string): Promise<ChannelDto[]>;
  abstract update(deviceId: string, patch: DevicePatch): Promise<DeviceDto>;
  abstract remove(deviceId: string): Promise<void>;
  /** Sends a Catalog query; resolves once the device accepted it (progress and result arrive as events). */
  abstract syncCatalog(deviceId: string): Promise<{ sn: number }>;
  abstract queryStatus(deviceId: string): Promise<DeviceStatusResult>;
}
