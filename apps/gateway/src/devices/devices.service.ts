import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { ChannelDto, DeviceDto } from '@gb/contracts';
import type { Database, DeviceEntity } from '@gb/persistence';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { DATABASE } from '../database/database.providers';
import { EventBus } from '../events/event-bus';
import { GatewayError } from '../common/gateway-error';
import { DeviceRegistry, type OfflineReason } from './device-registry';
import { newDeviceSession, type DeviceSession } from './device-session';
import type { DevicePatch } from './device-directory';
import type { SipFlow } from '../sip/sip-flow';

/**
 * Device state: the in-memory registry, written behind to the database in batches, and the events that
 * announce changes. Registrar, keepalive and catalog handlers change devices only through here.
 */
@Injectable()
export class DevicesService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly log = new Logger('devices');
  readonly registry: DeviceRegistry;
  private sweepTimer?: NodeJS.Timeout;
  private flushTimer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    @Inject(DATABASE) private readonly db: Database,
    private readonly events: EventBus,
  ) {
    this.registry = new DeviceRegistry({ keepaliveIntervalMs: cfg.KEEPALIVE_INTERVAL_S * 1000, maxMissed: cfg.KEEPALIVE_MAX_MISSED });
  }

  async onModuleInit(): Promise<void> {
    const [rows, settings] = await Promise.all([this.db.devices.findAll(), this.db.settings.getMany()]);
    const byId = new Map(settings.map((s) => [s.deviceId, s]));
    for (const row of rows) this.registry.set(sessionFromRow(row, byId.get(row.deviceId)));
    this.log.log(`loaded ${rows.length} devices`);
    // Devices whose deadline passed while we were down go offline now; the rest wait for their next keepalive.
    this.sweep();
    const sweepMs = Math.max(200, Math.min(1000, this.cfg.KEEPALIVE_INTERVAL_S * 250));
    this.sweepTimer = setInterval(() => this.sweep(), sweepMs);
    this.flushTimer = setInterval(() => void this.flush(), this.cfg.LIVENESS_FLUSH_MS);
  }

  sweep(now = Date.now()): void {
    for (const { session, reason } of this.registry.sweep(now)) this.announceOffline(session, reason);
  }

  announceOffline(s: DeviceSession, reason: OfflineReason | 'unregistered' | 'deleted'): void {
    this.log.log(`device ${s.deviceId} offline (${reason})`);
    this.events.publish('device.offline', { deviceId: s.deviceId, reason });
  }

  announceOnline(s: DeviceSession): void {
    this.log.log(`device ${s.deviceId} online from ${s.flow.transport}:${s.flow.remoteHost}:${s.flow.remotePort}`);
    this.events.publish('device.online', { deviceId: s.deviceId, remoteAddress: `${s.flow.remoteHost}:${s.flow.remotePort}` });
  }

  /** Writes changed sessions in one batch. Serialized: one flush at a time. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeDirty());
    return this.flushing;
  }

  /**
   * Flushes, then runs `work` before any later flush starts: work that writes device columns itself
   * (the catalog writer's channel counts) cannot be overwritten by a flush that read the sessions earlier.
   */
  afterFlush<T>(work: () => Promise<T>): Promise<T> {
    const done = this.flushing.then(() => this.writeDirty()).then(work);
    this.flushing = done.then(
      () => undefined,
      () => undefined,
    );
    return done;
  }

  private async writeDirty(): Promise<void> {
    const dirty = this.registry.takeDirty();
    const live = this.registry.takeLive();
    try {
      if (dirty.length > 0) await this.db.devices.upsertMany(dirty.map(rowFromSession));
    } catch (e) {
      this.log.error(`device flush of ${dirty.length} rows failed: ${(e as Error).message}`);
      for (const s of dirty) if (this.registry.get(s.deviceId) === s) this.registry.markDirty(s);
    }
    try {
      // Keepalives: one UPDATE … FROM unnest of the liveness columns, not a whole-row upsert per device.
      if (live.length > 0) {
        await this.db.devices.flushLiveness(
          live.map((s) => ({ deviceId: s.deviceId, lastKeepaliveAt: new Date(s.lastKeepaliveAt ?? Date.now()), online: s.online, remoteHost: s.flow.remoteHost, remotePort: s.flow.remotePort, transport: s.flow.transport })),
        );
      }
    } catch (e) {
      this.log.error(`liveness flush of ${live.length} devices failed: ${(e as Error).message}`);
      for (const s of live) if (this.registry.get(s.deviceId) === s) this.registry.markLive(s);
    }
  }

  get(deviceId: string): DeviceSession | undefined {
    return this.registry.get(deviceId);
  }

  require(deviceId: string): DeviceSession {
    const s = this.registry.get(deviceId);
    if (!s) throw new GatewayError('DEVICE_NOT_FOUND', `device ${deviceId} not found`, { deviceId });
    return s;
  }

  requireOnline(deviceId: string): DeviceSession {
    const s = this.require(deviceId);
    if (!s.online) throw new GatewayError('DEVICE_OFFLINE', `device ${deviceId} is offline`, { deviceId });
    return s;
  }

  /**
   * The one rule for "is this channel the device's?", used by play, PTZ, records and snapshot: a camera registered
   * on its own is its only channel (channel ID = device ID); otherwise the channel must be in the device's catalog,
   * unless the device has reported no catalog at all (then we cannot know, and let the device answer).
   */
  async requireChannel(deviceId: string, channelId: string): Promise<void> {
    const s = this.require(deviceId);
    if (channelId === deviceId) return;
    if (s.catalogSyncedAt === null && s.channelCount === 0) return;
    if (await this.db.channels.findOne(deviceId, channelId)) return;
    throw new GatewayError('CHANNEL_NOT_FOUND', `no channel ${channelId} in the catalog of device ${deviceId}`, { deviceId, channelId });
  }

  newSession(deviceId: string, flow: SipFlow): DeviceSession {
    return newDeviceSession(deviceId, flow);
  }

  touch(s: DeviceSession): void {
    this.registry.markDirty(s);
  }

  /** A keepalive (or any MESSAGE) proved the device alive: only its liveness columns need writing. */
  touchLiveness(s: DeviceSession): void {
    this.registry.markLive(s);
  }

  async setInfo(deviceId: string, info: { manufacturer?: string | null; model?: string | null; firmware?: string | null; name?: string | null }): Promise<void> {
    const s = this.registry.get(deviceId);
    if (!s) return;
    if (info.manufacturer !== undefined) s.manufacturer = info.manufacturer;
    if (info.model !== undefined) s.model = info.model;
    if (info.firmware !== undefined) s.firmware = info.firmware;
    if (info.name !== undefined && info.name !== null) s.name = info.name;
    this.registry.markDirty(s);
  }

  toDto(s: DeviceSession): DeviceDto {
    return {
      deviceId: s.deviceId,
      name: s.name,
      online: s.online,
      transport: s.flow.transport,
      remoteAddress: s.flow.remoteHost ? `${s.flow.remoteHost}:${s.flow.remotePort}` : null,
      manufacturer: s.manufacturer,
      model: s.model,
      firmware: s.firmware,
      channelCount: s.channelCount,
      registeredAt: iso(s.registeredAt),
      lastKeepaliveAt: iso(s.lastKeepaliveAt),
      expires: s.expires || null,
      charset: s.charset,
      streamTransport: s.streamTransport,
      hasPassword: !!s.password,
      catalogSyncedAt: iso(s.catalogSyncedAt),
    };
  }

  list(): DeviceDto[] {
    return [...this.registry.all()].map((s) => this.toDto(s)).sort((a, b) => a.deviceId.localeCompare(b.deviceId));
  }

  async listChannels(deviceId: string): Promise<ChannelDto[]> {
    this.require(deviceId);
    const rows = await this.db.channels.listByDevice(deviceId);
    return rows.map((c) => ({
      channelId: c.channelId,
      deviceId: c.deviceId,
      name: c.name ?? null,
      status: c.status ?? 'OFF',
      parentId: c.parentId ?? null,
      civilCode: c.civilCode ?? null,
      manufacturer: c.manufacturer ?? null,
      model: c.model ?? null,
      address: c.address ?? null,
      ipAddress: c.ipAddress ?? null,
      longitude: c.longitude ?? null,
      latitude: c.latitude ?? null,
      ptzType: c.ptzType ?? null,
    }));
  }

  async update(deviceId: string, patch: DevicePatch): Promise<DeviceDto> {
    const s = this.require(deviceId);
    const settings: { password?: string | null; charset?: DevicePatch['charset']; streamTransport?: DevicePatch['streamTransport'] } = {};
    if (patch.password !== undefined) settings.password = s.password = patch.password;
    if (patch.charset !== undefined) settings.charset = s.charset = patch.charset;
    if (patch.streamTransport !== undefined) settings.streamTransport = s.streamTransport = patch.streamTransport;
    if (Object.keys(settings).length) await this.db.settings.update(deviceId, settings);
    if (patch.name !== undefined) {
      s.name = patch.name;
      await this.flush();
      await this.db.devices.updateInfo(deviceId, { name: patch.name });
    }
    return this.toDto(s);
  }

  async remove(deviceId: string): Promise<void> {
    const s = this.require(deviceId);
    this.registry.delete(deviceId);
    await this.flush();
    await this.db.devices.delete(deviceId);
    if (s.online) this.announceOffline(s, 'deleted');
  }

  /** Runs before any onApplicationShutdown (where the database closes): the last liveness reaches the disk. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.sweepTimer);
    clearInterval(this.flushTimer);
    await this.flush();
  }
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function ms(d: Date | null | undefined): number | null {
  return d ? d.getTime() : null;
}

function sessionFromRow(row: DeviceEntity, settings?: { password: string | null; charset: string; streamTransport: string }): DeviceSession {
  return {
    deviceId: row.deviceId,
    name: row.name ?? null,
    flow: {
      transport: row.transport === 'tcp' ? 'tcp' : 'udp',
      remoteHost: row.remoteHost ?? '',
      remotePort: row.remotePort ?? 0,
      localHost: row.localHost ?? '',
      localPort: row.localPort ?? 0,
    },
    contactUri: row.contactUri ?? null,
    expires: row.expires ?? 0,
    registeredAt: ms(row.registeredAt),
    registrationExpiresAt: ms(row.registrationExpiresAt),
    lastKeepaliveAt: ms(row.lastKeepaliveAt),
    online: row.online,
    manufacturer: row.manufacturer ?? null,
    model: row.model ?? null,
    firmware: row.firmware ?? null,
    channelCount: row.channelCount ?? 0,
    catalogSyncedAt: ms(row.catalogSyncedAt),
    password: settings?.password ?? null,
    charset: (settings?.charset ?? 'auto') as DeviceSession['charset'],
    streamTransport: (settings?.streamTransport ?? 'tcp-passive') as DeviceSession['streamTransport'],
  };
}

function rowFromSession(s: DeviceSession): Partial<DeviceEntity> & { deviceId: string } {
  const d = (v: number | null) => (v === null ? null : new Date(v));
  return {
    deviceId: s.deviceId,
    name: s.name,
    transport: s.flow.transport,
    remoteHost: s.flow.remoteHost,
    remotePort: s.flow.remotePort,
    localHost: s.flow.localHost,
    localPort: s.flow.localPort,
    contactUri: s.contactUri,
    expires: s.expires,
    registeredAt: d(s.registeredAt),
    registrationExpiresAt: d(s.registrationExpiresAt),
    lastKeepaliveAt: d(s.lastKeepaliveAt),
    online: s.online,
    manufacturer: s.manufacturer,
    model: s.model,
    firmware: s.firmware,
    channelCount: s.channelCount,
    catalogSyncedAt: d(s.catalogSyncedAt),
  } as Partial<DeviceEntity> & { deviceId: string };
}
