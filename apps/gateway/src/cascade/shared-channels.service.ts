import { Inject, Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import type { DeviceDto } from '@gb/contracts';
import { ChannelEntity, type Database, type PlatformRow } from '@gb/persistence';
import { DATABASE } from '../database/database.providers';
import { DevicesService } from '../devices/devices.service';
import { isDirectoryItem, isOnStatus, type SharedChannel, type SourceItem } from './shared-catalog';

/** Most catalog rows read for one superior's catalog (shareAll over every device; explicit sets are ≤ MAX_SHARED_CHANNELS). */
export const MAX_SHARED_ROWS = 20_000;

type StoredRow = ChannelEntity;

/** Where a shared channel lives: the device whose catalog lists it (the device itself for a lone camera). */
export interface SharedChannelRef {
  deviceId: string;
  channelId: string;
  channel: SharedChannel;
  device: DeviceDto;
}

/**
 * What a superior platform is shown (issue 11 item 3): its shared channels (`shareAll`: every channel of every
 * device in the database; else `platform.channels`) with their online state, and the directory rows the devices
 * reported (names of regions and groups). A device without any catalog row is its own only channel (the rule of
 * DevicesService.requireChannel). Reads the database on every call: the catalog is asked for rarely.
 */
@Injectable()
export class SharedChannelsService {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    private readonly devices: DevicesService,
  ) {}

  /** The shared channels of `platform` and the directory rows of their devices. */
  async catalogOf(platform: PlatformRow): Promise<{ channels: SharedChannel[]; directories: Map<string, SourceItem> }> {
    const devices = new Map((await this.devices.list()).map((d) => [d.deviceId, d]));
    const repo = this.db.dataSource.getRepository(ChannelEntity);
    let rows: StoredRow[];
    if (platform.shareAll) {
      rows = await repo.find({ order: { deviceId: 'ASC', channelId: 'ASC' }, take: MAX_SHARED_ROWS });
    } else {
      const wanted = platform.channels;
      const found: StoredRow[] = wanted.length ? await repo.find({ where: { channelId: In(wanted) }, order: { deviceId: 'ASC', channelId: 'ASC' }, take: MAX_SHARED_ROWS }) : [];
      // Directory rows of the devices involved: the names and parents of the groups the channels hang under.
      const owners = [...new Set(found.map((r) => r.deviceId))];
      const theirs: StoredRow[] = owners.length ? await repo.find({ where: { deviceId: In(owners) }, take: MAX_SHARED_ROWS }) : [];
      rows = [...found, ...theirs.filter((r) => isDirectoryItem(r))];
    }
    const directories = new Map<string, SourceItem>();
    const channels: SharedChannel[] = [];
    const withRows = new Set<string>();
    const sharedIds = platform.shareAll ? null : new Set(platform.channels);
    for (const r of rows) {
      withRows.add(r.deviceId);
      if (isDirectoryItem(r)) {
        if (!directories.has(r.channelId)) directories.set(r.channelId, sourceOf(r));
        continue;
      }
      if (sharedIds && !sharedIds.has(r.channelId)) continue;
      channels.push({ ...sourceOf(r), online: (devices.get(r.deviceId)?.online ?? false) && isOnStatus(r.status) });
    }
    // Lone cameras: a device with no catalog row is its own channel.
    for (const d of devices.values()) {
      if (d.channelCount > 0 || withRows.has(d.deviceId) || (sharedIds && !sharedIds.has(d.deviceId))) continue;
      channels.push(loneCamera(d));
    }
    return { channels, directories };
  }

  /**
   * The shared channel `channelId` of `platform` and its device, or undefined when it is not shared with it (or no
   * device lists it). A channel listed by several devices: the online one.
   */
  async resolve(platform: PlatformRow, channelId: string): Promise<SharedChannelRef | undefined> {
    if (!platform.shareAll && !platform.channels.includes(channelId)) return undefined;
    const repo = this.db.dataSource.getRepository(ChannelEntity);
    const rows = (await repo.find({ where: { channelId }, take: 16 })).filter((r: StoredRow) => !isDirectoryItem(r));
    const devices = new Map((await this.devices.list()).map((d) => [d.deviceId, d]));
    const refs = rows
      .map((r) => ({ r, d: devices.get(r.deviceId) }))
      .filter((x): x is { r: StoredRow; d: DeviceDto } => x.d !== undefined)
      .map(({ r, d }) => ({ deviceId: d.deviceId, channelId, device: d, channel: { ...sourceOf(r), online: d.online && isOnStatus(r.status) } }));
    const best = refs.find((x) => x.device.online) ?? refs[0];
    if (best) return best;
    const lone = devices.get(channelId);
    if (lone && lone.channelCount === 0) return { deviceId: lone.deviceId, channelId, device: lone, channel: loneCamera(lone) };
    return undefined;
  }
}

function sourceOf(r: StoredRow): SourceItem {
  return {
    deviceId: r.deviceId,
    channelId: r.channelId,
    name: r.name,
    manufacturer: r.manufacturer,
    model: r.model,
    owner: r.owner,
    civilCode: r.civilCode,
    block: r.block,
    address: r.address,
    parental: r.parental,
    parentId: r.parentId,
    businessGroupId: r.businessGroupId,
    status: r.status,
    longitude: r.longitude,
    latitude: r.latitude,
    ptzType: r.ptzType,
  };
}

function loneCamera(d: DeviceDto): SharedChannel {
  return { deviceId: d.deviceId, channelId: d.deviceId, name: d.name, manufacturer: d.manufacturer, model: d.model, online: d.online };
}
