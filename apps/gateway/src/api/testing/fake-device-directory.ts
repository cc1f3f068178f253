import type { ChannelDto, DeviceDto } from '@gb/contracts';
import { GatewayError } from '../../common/gateway-error';
import { DeviceDirectory, type DevicePatch, type DeviceStatusResult } from '../../devices/device-directory';

/** In-memory DeviceDirectory for the API's own tests (the real one is exercised by the lead's e2e tests). */
export class FakeDeviceDirectory extends DeviceDirectory {
  readonly devices = new Map<string, DeviceDto>();
  readonly channels = new Map<string, ChannelDto[]>();
  readonly calls: { method: string; args: unknown[] }[] = [];
  /** When set, every call throws it (to exercise error mapping). */
  failWith?: unknown;
  private nextSn = 1;

  addDevice(deviceId: string, overrides: Partial<DeviceDto> = {}): DeviceDto {
    const d: DeviceDto = {
      deviceId,
      name: null,
      online: true,
      transport: 'udp',
      remoteAddress: '127.0.0.1:5060',
      manufacturer: 'Hikvision',
      model: 'DS-2CD',
      firmware: 'V5.5',
      channelCount: 0,
      registeredAt: '2024-01-01T00:00:00.000Z',
      lastKeepaliveAt: '2024-01-01T00:01:00.000Z',
      expires: 3600,
      charset: 'auto',
      streamTransport: 'udp',
      hasPassword: false,
      node: 'node-test',
      catalogSyncedAt: null,
      ...overrides,
    };
    this.devices.set(deviceId, d);
    return d;
  }

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
    if (this.failWith !== undefined) throw this.failWith;
  }

  private must(deviceId: string): DeviceDto {
    const d = this.devices.get(deviceId);
    if (!d) throw new GatewayError('DEVICE_NOT_FOUND', `Device ${deviceId} not found`);
    return d;
  }

  async list(): Promise<DeviceDto[]> {
    this.record('list');
    return [...this.devices.values()];
  }

  async get(deviceId: string): Promise<DeviceDto> {
    this.record('get', deviceId);
    return this.must(deviceId);
  }

  async listChannels(deviceId: string): Promise<ChannelDto[]> {
    this.record('listChannels', deviceId);
    this.must(deviceId);
    return this.channels.get(deviceId) ?? [];
  }

  async update(deviceId: string, patch: DevicePatch): Promise<DeviceDto> {
    this.record('update', deviceId, patch);
    const d = this.must(deviceId);
    const next: DeviceDto = {
      ...d,
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.charset ? { charset: patch.charset } : {}),
      ...(patch.streamTransport ? { streamTransport: patch.streamTransport } : {}),
      ...(patch.password !== undefined ? { hasPassword: patch.password !== null } : {}),
    };
    this.devices.set(deviceId, next);
    return next;
  }

  async remove(deviceId: string): Promise<void> {
    this.record('remove', deviceId);
    this.must(deviceId);
    this.devices.delete(deviceId);
  }

  async syncCatalog(deviceId: string): Promise<{ sn: number }> {
    this.record('syncCatalog', deviceId);
    const d = this.must(deviceId);
    if (!d.online) throw new GatewayError('DEVICE_OFFLINE', `Device ${deviceId} is offline`);
    return { sn: this.nextSn++ };
  }

  async queryStatus(deviceId: string): Promise<DeviceStatusResult> {
    this.record('queryStatus', deviceId);
    const d = this.must(deviceId);
    if (!d.online) throw new GatewayError('DEVICE_OFFLINE', `Device ${deviceId} is offline`);
    return {
      deviceId,
      online: true,
      status: 'ON',
      result: 'OK',
      encode: 'ON',
      record: 'OFF',
      deviceTime: '2024-01-01T08:00:00',
      raw: { Online: 'ONLINE', Status: 'OK' },
    };
  }
}
