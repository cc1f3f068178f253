import { Injectable } from '@nestjs/common';
import type { ChannelDto, DeviceDto } from '@gb/contracts';
import { GatewayError } from '../common/gateway-error';
import { DeviceDirectory, type DevicePatch, type DeviceStatusResult, type VirtualDevice } from './device-directory';
import { DevicesService } from './devices.service';
import { DeviceQueriesService } from './device-queries.service';

/** The use-cases the API calls (see DeviceDirectory). */
@Injectable()
export class DevicesDirectoryService extends DeviceDirectory {
  constructor(
    private readonly devices: DevicesService,
    private readonly queries: DeviceQueriesService,
  ) {
    super();
  }

  async list(): Promise<DeviceDto[]> {
    const virtual = await Promise.all(this.virtualDevices.map((v) => v.device()));
    return [...(await this.devices.list()), ...virtual.filter((d): d is DeviceDto => d !== null)];
  }

  async get(deviceId: string): Promise<DeviceDto> {
    const v = this.virtualOf(deviceId);
    if (v) {
      const d = await v.device();
      if (!d) throw new GatewayError('DEVICE_NOT_FOUND', `device ${deviceId} not found`);
      return d;
    }
    return this.devices.getDto(deviceId);
  }

  listChannels(deviceId: string): Promise<ChannelDto[]> {
    return this.virtualOf(deviceId)?.channels() ?? this.devices.listChannels(deviceId);
  }

  update(deviceId: string, patch: DevicePatch): Promise<DeviceDto> {
    this.refuseVirtual(deviceId);
    return this.devices.update(deviceId, patch);
  }

  remove(deviceId: string): Promise<void> {
    this.refuseVirtual(deviceId);
    return this.devices.remove(deviceId);
  }

  syncCatalog(deviceId: string): Promise<{ sn: number }> {
    this.refuseVirtual(deviceId);
    return this.queries.syncCatalog(deviceId);
  }

  private virtualOf(deviceId: string): VirtualDevice | undefined {
    return this.virtualDevices.find((v) => v.owns(deviceId));
  }

  /** The virtual devices have no SIP side: settings, catalog and status belong to their owner (e.g. /api/proxies). */
  private refuseVirtual(deviceId: string): void {
    if (this.virtualOf(deviceId)) throw new GatewayError('CONFLICT', `device ${deviceId} is the gateway's own stream proxies device: manage its channels under /api/proxies`);
  }

  async queryStatus(deviceId: string): Promise<DeviceStatusResult> {
    this.refuseVirtual(deviceId);
    const m = await this.queries.ask(deviceId, 'DeviceStatus');
    if (m.kind !== 'DeviceStatusResponse') throw new GatewayError('DEVICE_TIMEOUT', `device ${deviceId} answered DeviceStatus with ${m.cmdType}`);
    return {
      deviceId,
      online: m.online === 'ONLINE',
      status: m.status,
      result: m.result,
      encode: m.encode,
      record: m.record,
      deviceTime: m.deviceTime,
      raw: m.fields,
    };
  }
}
