import { Injectable } from '@nestjs/common';
import type { ChannelDto, DeviceDto } from '@gb/contracts';
import { GatewayError } from '../common/gateway-error';
import { DeviceDirectory, type DevicePatch, type DeviceStatusResult } from './device-directory';
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
    return this.devices.list();
  }

  get(deviceId: string): Promise<DeviceDto> {
    return this.devices.getDto(deviceId);
  }

  listChannels(deviceId: string): Promise<ChannelDto[]> {
    return this.devices.listChannels(deviceId);
  }

  update(deviceId: string, patch: DevicePatch): Promise<DeviceDto> {
    return this.devices.update(deviceId, patch);
  }

  remove(deviceId: string): Promise<void> {
    return this.devices.remove(deviceId);
  }

  syncCatalog(deviceId: string): Promise<{ sn: number }> {
    return this.queries.syncCatalog(deviceId);
  }

  async queryStatus(deviceId: string): Promise<DeviceStatusResult> {
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
