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
 * A device that is no registered GB device (the stream proxies' virtual device, apps/gateway/src/proxies): listed with
 * the others and its channels with theirs (device list, channel tree, wall picker), read-only through the device API.
 */
export interface VirtualDevice {
  owns(deviceId: string): boolean;
  /** The device, or null while it has nothing to show (no proxies). */
  device(): Promise<DeviceDto | null>;
  channels(): Promise<ChannelDto[]>;
}

/**
 * What the API (and later the dashboard) may ask about devices. Implemented by DevicesService;
 * an abstract class so it doubles as the Nest injection token.
 * Errors: GatewayError DEVICE_NOT_FOUND, DEVICE_OFFLINE, DEVICE_TIMEOUT.
 */
export abstract class DeviceDirectory {
  /** Registered by their owners at start (ProxiesService). */
  readonly virtualDevices: VirtualDevice[] = [];

  abstract list(): Promise<DeviceDto[]>;
  abstract get(deviceId: string): Promise<DeviceDto>;
  abstract listChannels(deviceId: string): Promise<ChannelDto[]>;
  abstract update(deviceId: string, patch: DevicePatch): Promise<DeviceDto>;
  abstract remove(deviceId: string): Promise<void>;
  /** Sends a Catalog query; resolves once the device accepted it (progress and result arrive as events). */
  abstract syncCatalog(deviceId: string): Promise<{ sn: number }>;
  abstract queryStatus(deviceId: string): Promise<DeviceStatusResult>;
}
