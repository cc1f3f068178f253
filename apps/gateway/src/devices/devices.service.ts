import { BatchedLoader } from '../common/batched-loader';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { ChannelDto, ChannelPositionDto, DeviceDto } from '@gb/contracts';
import { catalogItemKind, isCatalogItemKind, isDirectoryKind } from '@gb/gb28181';
import type { ChannelEntity, ChannelPositionRow, Database, DeviceEntity } from '@gb/persistence';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { DATABASE } from '../database/database.providers';
import { EventBus } from '../events/event-bus';
import { GatewayError } from '../common/gateway-error';
import { DeviceRegistry, type OfflineReason } from './device-registry';
import { newDeviceSession, type DeviceSession } from './device-session';
import type { DevicePatch } from './device-directory';
import type { SipFlow } from '../sip/sip-flow';
import { NodesService } from '../cluster/nodes.service';
import { ClusterBus } from '../cluster/cluster-bus';

type OwnershipListener = (deviceIds: string[], why: string) => void;
/** How long the SIP flow of a device that moved to another node is kept for its streams' BYE (64 × T1). */
export const RELEASED_FLOW_KEEP_MS = 32_000;
/** Most such flows kept at once. */
export const MAX_RELEASED_FLOWS = 10_000;
/** How long a REGISTER of a device this node does not hold (shared database) waits for others to share the read of the rows. */
export const REGISTRATION_LOOKUP_BATCH_MS = 10;
/** Most devices one such read fetches. */
export const REGISTRATION_LOOKUP_BATCH_MAX = 500;

/**
 * Device state: the in-memory registry, written behind to the database in batches, and the events that
 * announce changes. Registrar, keepalive and catalog handlers change devices only through here.
 *
 * Several nodes on one PostgreSQL: the registry holds the devices this node owns (`owner_node`), and only
 * those are aged, marked offline, queried or INVITEd here. A REGISTER claims the device (one UPDATE per flush
 * batch); the node it left is told over NATS and also finds out on its next heartbeat, then drops it and
 * ends its streams with BYE. Write-behind rows carry the owner and never overwrite another node's claim.
 * At boot, and on every heartbeat, a node adopts the devices of dead nodes (offline until they register).
 * Lists read the database, so every node shows every device with its owner.
 */
@Injectable()
export class DevicesService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly log = new Logger('devices');
  readonly registry: DeviceRegistry;
  private sweepTimer?: NodeJS.Timeout;
  private flushTimer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  /** Devices that registered here since the last flush: their rows are claimed for this node first. */
  private claims = new Set<string>();
  private readonly released = new Set<OwnershipListener>();
  private readonly acquired = new Set<OwnershipListener>();
  private readonly releasedFlows = new Map<string, { flow: SipFlow; at: number }>();
  /** REGISTERs of devices this node does not hold share one read of their rows (loadForRegistration). */
  private readonly lookups = new BatchedLoader<string, DeviceSession>({
    windowMs: REGISTRATION_LOOKUP_BATCH_MS, max: REGISTRATION_LOOKUP_BATCH_MAX, load: (ids) => this.readForRegistration(ids),
  });
  readonly nodeId: string;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    @Inject(DATABASE) private readonly db: Database,
    private readonly events: EventBus,
    @Inject(NodesService) private readonly nodes: NodesService,
    @Inject(ClusterBus) private readonly bus: ClusterBus,
  ) {
    this.registry = new DeviceRegistry({ keepaliveIntervalMs: cfg.KEEPALIVE_INTERVAL_S * 1000, maxMissed: cfg.KEEPALIVE_MAX_MISSED });
    this.nodeId = cfg.NODE_ID;
  }

  /** Other nodes may share the database (PostgreSQL); embedded storage is this node's alone. */
  get shared(): boolean {
    return this.nodes.shared;
  }

  async onModuleInit(): Promise<void> {
    let adopted = 0;
    if (this.shared) adopted = (await this.db.devices.adoptOrphans(this.nodeId, this.cfg.NODE_DEAD_AFTER_MS)).length;
    else await this.db.devices.adoptAll(this.nodeId);
    const [rows, settings] = await Promise.all([this.shared ? this.db.devices.findOwnedBy(this.nodeId) : this.db.devices.findAll(), this.db.settings.getMany()]);
    const byId = new Map(settings.map((s) => [s.deviceId, s]));
    for (const row of rows) this.registry.set(sessionFromRow(row, byId.get(row.deviceId)));
    this.log.log(`loaded ${rows.length} devices${adopted ? ` (${adopted} adopted from dead nodes, offline until they register)` : ''}`);
    this.nodes.reportLoad('devices', () => this.onlineCount());
    this.nodes.onTick('device ownership', () => this.checkOwnership());
    this.bus.onRelease((ids, by) => this.release(ids, `registered with node ${by}`));
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

  onlineCount(): number {
    let n = 0;
    for (const s of this.registry.all()) if (s.online) n++;
    return n;
  }

  /**
   * Where to send the BYE of a stream whose device just moved to another node: the flow it had here
   * (kept RELEASED_FLOW_KEEP_MS after the release).
   */
  releasedFlow(deviceId: string): SipFlow | undefined {
    return this.releasedFlows.get(deviceId)?.flow;
  }

  /** Listeners for devices this node stopped owning (moved to another node, or deleted there). */
  onReleased(l: OwnershipListener): () => void {
    this.released.add(l);
    return () => this.released.delete(l);
  }

  /** Listeners for devices this node took over from a dead node. */
  onAcquired(l: OwnershipListener): () => void {
    this.acquired.add(l);
    return () => this.acquired.delete(l);
  }

  /** A REGISTER reached this node: the device is ours from the next flush on. */
  claim(s: DeviceSession): void {
    this.claims.add(s.deviceId);
    this.registry.markDirty(s);
  }

  /** Drops devices another node owns now: no offline event (they are online there), their streams end with BYE. */
  release(deviceIds: readonly string[], why: string): void {
    const gone: string[] = [];
    const now = Date.now();
    for (const [id, f] of this.releasedFlows) if (now - f.at > RELEASED_FLOW_KEEP_MS) this.releasedFlows.delete(id);
    for (const id of deviceIds) {
      if (this.claims.has(id)) continue; // it registered here again meanwhile: our claim is the newer one
      const s = this.registry.get(id);
      if (!s || !this.registry.delete(id)) continue;
      if (this.releasedFlows.size < MAX_RELEASED_FLOWS) this.releasedFlows.set(id, { flow: s.flow, at: now });
      gone.push(id);
    }
    if (gone.length === 0) return;
    this.log.log(`${gone.length} device(s) no longer owned here (${why}): ${gone.slice(0, 5).join(', ')}${gone.length > 5 ? ', …' : ''}`);
    for (const l of this.released) call(l, gone, why);
  }

  /**
   * Each heartbeat (shared database only): adopt the devices of dead nodes, and drop those another node
   * claimed (a missed NATS notice, or no NATS at all).
   */
  async checkOwnership(): Promise<void> {
    if (!this.shared) return;
    const adopted = await this.db.devices.adoptOrphans(this.nodeId, this.cfg.NODE_DEAD_AFTER_MS);
    if (adopted.length) {
      const settings = new Map((await this.db.settings.getMany(adopted.map((r) => r.deviceId))).map((s) => [s.deviceId, s]));
      const ids: string[] = [];
      for (const row of adopted) {
        if (this.registry.get(row.deviceId)) continue;
        this.registry.set(sessionFromRow(row, settings.get(row.deviceId)));
        ids.push(row.deviceId);
      }
      this.log.log(`adopted ${ids.length} device(s) of dead nodes (offline until they register here)`);
      for (const l of this.acquired) call(l, ids, 'adopted from a dead node');
    }
    // Ids first, then the flush: every one of them has its row (and our claim) written before we ask who owns it.
    const ids = [...this.registry.all()].map((s) => s.deviceId);
    await this.flush();
    const elsewhere = await this.db.devices.ownedElsewhere(ids, this.nodeId);
    if (elsewhere.size) this.release([...elsewhere.keys()], 'claimed by another node');
  }

  /**
   * A device registering here that this node does not hold: its row (name, catalog count) and settings
   * (password, charset) from the shared database, as an offline session. Unknown devices: nothing.
   */
  loadForRegistration(deviceId: string): Promise<DeviceSession | undefined> {
    const existing = this.registry.get(deviceId);
    if (existing) return Promise.resolve(existing);
    // REGISTERs arriving together share one read (a storm of new devices used to cost two SELECTs per REGISTER).
    return this.lookups.get(deviceId);
  }

  /** The sessions of `ids` (known here, or built offline from their rows); an unknown device has none. */
  private async readForRegistration(ids: string[]): Promise<Map<string, DeviceSession>> {
    const [rows, settings] = await Promise.all([this.db.devices.findByIds(ids), this.db.settings.getMany(ids)]);
    const rowOf = new Map(rows.map((r) => [r.deviceId, r]));
    const settingsOf = new Map(settings.map((x) => [x.deviceId, x]));
    const out = new Map<string, DeviceSession>();
    for (const id of ids) {
      let s = this.registry.get(id);
      const row = rowOf.get(id);
      if (!s && row) {
        s = sessionFromRow(row, settingsOf.get(id));
        s.online = false;
        this.registry.set(s);
      }
      if (s) out.set(id, s);
    }
    return out;
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
    // The rows only: liveness columns are not what `work` needs, and wait for the LIVENESS_FLUSH_MS timer (a catalog
    // batch every 100 ms used to write the liveness its own answers had just refreshed, one more statement each time).
    const done = this.flushing.then(() => this.writeDirty(false)).then(work);
    this.flushing = done.then(
      () => undefined,
      () => undefined,
    );
    return done;
  }

  private async writeDirty(withLiveness = true): Promise<void> {
    const claims = [...this.claims];
    this.claims = new Set();
    const dirty = this.registry.takeDirty();
    const live = withLiveness ? this.registry.takeLive() : [];
    if (claims.length > 0 && this.shared) {
      try {
        const taken = await this.db.devices.claim(claims, this.nodeId);
        const byOwner = new Map<string, string[]>();
        for (const c of taken) if (c.previousOwner && c.previousOwner !== this.nodeId) byOwner.set(c.previousOwner, [...(byOwner.get(c.previousOwner) ?? []), c.deviceId]);
        for (const [owner, ids] of byOwner) {
          this.log.log(`${ids.length} device(s) moved here from node ${owner}`);
          this.bus.notifyReleased(owner, ids);
        }
      } catch (e) {
        this.log.error(`claim of ${claims.length} devices failed: ${(e as Error).message}`);
        for (const id of claims) this.claims.add(id);
      }
    }
    try {
      if (dirty.length > 0) await this.db.devices.upsertMany(dirty.map((s) => rowFromSession(s, this.nodeId, this.registry.deadline(s))));
    } catch (e) {
      this.log.error(`device flush of ${dirty.length} rows failed: ${(e as Error).message}`);
      for (const s of dirty) if (this.registry.get(s.deviceId) === s) this.registry.markDirty(s);
    }
    try {
      // Keepalives: one UPDATE … FROM unnest of the liveness columns, not a whole-row upsert per device.
      if (live.length > 0) {
        await this.db.devices.flushLiveness(
          live.map((s) => ({ deviceId: s.deviceId, lastKeepaliveAt: new Date(s.lastKeepaliveAt ?? Date.now()), online: s.online, remoteHost: s.flow.remoteHost, remotePort: s.flow.remotePort, transport: s.flow.transport, leaseUntil: new Date(this.registry.deadline(s)) })),
          this.nodeId,
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
   * unless the device has reported no catalog at all (then we cannot know, and let the device answer). A directory
   * item of the catalog (civil code, business group, virtual organisation, platform, NVR node) is no channel:
   * CHANNEL_IS_DIRECTORY.
   */
  async requireChannel(deviceId: string, channelId: string): Promise<void> {
    const s = this.require(deviceId);
    if (channelId === deviceId) return;
    const row = await this.db.channels.findOne(deviceId, channelId);
    if (row && channelDtoOf(row).isDirectory) {
      throw new GatewayError('CHANNEL_IS_DIRECTORY', `${channelId} is a directory of the catalog of device ${deviceId} (${row.kind}), not a channel`, { deviceId, channelId });
    }
    if (row) return;
    if (s.catalogSyncedAt === null && s.channelCount === 0) return;
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
      node: this.nodeId,
    };
  }

  /** Every device of the database (every node's), this node's own from memory (fresher than the write-behind). */
  async list(): Promise<DeviceDto[]> {
    const [rows, settings] = await Promise.all([this.db.devices.findAll(), this.db.settings.getMany()]);
    const byId = new Map(settings.map((s) => [s.deviceId, s]));
    const out = new Map<string, DeviceDto>();
    for (const row of rows) out.set(row.deviceId, this.dtoFromRow(row, byId.get(row.deviceId)));
    for (const s of this.registry.all()) out.set(s.deviceId, this.toDto(s));
    return [...out.values()].sort((a, b) => a.deviceId.localeCompare(b.deviceId));
  }

  /** One device: this node's own from memory, another node's from the database. */
  async getDto(deviceId: string): Promise<DeviceDto> {
    const s = this.registry.get(deviceId);
    if (s) return this.toDto(s);
    const [row, settings] = await Promise.all([this.db.devices.findById(deviceId), this.db.settings.getMany([deviceId])]);
    if (!row) throw new GatewayError('DEVICE_NOT_FOUND', `device ${deviceId} not found`, { deviceId });
    return this.dtoFromRow(row, settings[0]);
  }

  /** The node that owns the device: this one, another (from the database), or null when unknown or unowned. */
  async ownerOf(deviceId: string): Promise<string | null> {
    if (this.registry.get(deviceId)) return this.nodeId;
    return (await this.db.devices.findById(deviceId))?.ownerNode ?? null;
  }

  private dtoFromRow(row: DeviceEntity, settings?: { password: string | null; charset: string; streamTransport: string }): DeviceDto {
    return { ...this.toDto(sessionFromRow(row, settings)), node: row.ownerNode ?? null };
  }

  async listChannels(deviceId: string): Promise<ChannelDto[]> {
    if (!this.registry.get(deviceId)) await this.getDto(deviceId);
    const rows = await this.db.channels.listByDevice(deviceId);
    const positions = await this.db.positions.latest(rows.map((r) => r.channelId));
    return rows.map((r) => channelDtoOf(r, positions.get(r.channelId)));
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
    this.lookups.flush();
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

function rowFromSession(s: DeviceSession, owner: string, leaseUntil: number): Partial<DeviceEntity> & { deviceId: string } {
  const d = (v: number | null) => (v === null ? null : new Date(v));
  return {
    deviceId: s.deviceId,
    ownerNode: owner,
    leaseUntil: new Date(leaseUntil),
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

function call(l: OwnershipListener, ids: string[], why: string): void {
  try {
    l(ids, why);
  } catch {
    /* a listener's failure is its own */
  }
}

/** A catalog row as the API shows it (device channel lists and the all-channels list), with its latest position if any. */
export function channelDtoOf(c: ChannelEntity, position?: ChannelPositionRow): ChannelDto {
  const kind = isCatalogItemKind(c.kind) ? c.kind : catalogItemKind(c.channelId, c.parental);
  return {
    channelId: c.channelId,
    deviceId: c.deviceId,
    name: c.name ?? null,
    status: c.status ?? 'OFF',
    parentId: c.parentId ?? null,
    businessGroupId: c.businessGroupId ?? null,
    kind,
    isDirectory: isDirectoryKind(kind),
    civilCode: c.civilCode ?? null,
    manufacturer: c.manufacturer ?? null,
    model: c.model ?? null,
    address: c.address ?? null,
    ipAddress: c.ipAddress ?? null,
    longitude: c.longitude ?? null,
    latitude: c.latitude ?? null,
    ptzType: c.ptzType ?? null,
    position: position ? positionDtoOf(position) : null,
  };
}

/** A stored mobile position as the API shows it. */
export function positionDtoOf(p: ChannelPositionRow): ChannelPositionDto {
  return { time: p.time.toISOString(), longitude: p.longitude, latitude: p.latitude, speed: p.speed, direction: p.direction, altitude: p.altitude };
}
