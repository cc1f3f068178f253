import { Inject, Injectable } from '@nestjs/common';
import type { Database, PlatformPatch, PlatformRow } from '@gb/persistence';
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../common/gateway-error';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { DATABASE } from '../database/database.providers';
import { CascadeService } from './cascade.service';
import type { CreatePlatformDto, PlatformDto, UpdatePlatformDto } from './platforms.dto';

/** The superior-platform use-cases of the API: stored settings, then `CascadeService.sync` runs what they say. */
@Injectable()
export class PlatformsService {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CascadeService) private readonly cascade: CascadeService,
  ) {}

  async list(): Promise<PlatformDto[]> {
    return (await this.db.platforms.list()).map((r) => this.toDto(r));
  }

  async get(id: string): Promise<PlatformDto> {
    return this.toDto(await this.require(id));
  }

  async create(dto: CreatePlatformDto): Promise<PlatformDto> {
    await this.refuseDuplicate(undefined, dto.host, dto.port, dto.serverId, dto.localId ?? null);
    const row = await this.db.platforms.create({ id: randomUUID(), ...dto, localId: dto.localId ?? null, ownerNode: this.cfg.NODE_ID, now: new Date() });
    await this.cascade.sync(row.id);
    return this.get(row.id);
  }

  async update(id: string, dto: UpdatePlatformDto): Promise<PlatformDto> {
    const old = await this.require(id);
    const patch: PlatformPatch = { ...dto };
    // Turning shareAll on clears the list; giving a list turns shareAll off (one of the two, never both).
    if (dto.shareAll === true) patch.channels = [];
    if (dto.channels !== undefined && dto.channels.length > 0) patch.shareAll = false;
    const next = { ...old, ...patch };
    await this.refuseDuplicate(id, next.host, next.port, next.serverId, next.localId);
    if (!(await this.db.platforms.update(id, patch, new Date()))) throw notFound(id);
    await this.cascade.sync(id);
    return this.get(id);
  }

  /** Deletes the platform; its registration ends with REGISTER Expires: 0 first (when this node runs it). */
  async remove(id: string): Promise<void> {
    if (!(await this.db.platforms.delete(id))) throw notFound(id);
    await this.cascade.sync(id);
  }

  private async require(id: string): Promise<PlatformRow> {
    const row = await this.db.platforms.get(id);
    if (!row) throw notFound(id);
    return row;
  }

  /** Two registrations of one local ID with one superior would replace each other's binding there. */
  private async refuseDuplicate(id: string | undefined, host: string, port: number, serverId: string, localId: string | null): Promise<void> {
    const mine = localId ?? this.cfg.SIP_ID;
    const clash = (await this.db.platforms.list()).find(
      (p) => p.id !== id && p.host.toLowerCase() === host.toLowerCase() && p.port === port && p.serverId === serverId && (p.localId ?? this.cfg.SIP_ID) === mine,
    );
    if (clash) throw new GatewayError('CONFLICT', `platform ${clash.id} already registers ${mine} with ${serverId} at ${host}:${port}`, { id: clash.id });
  }

  private toDto(r: PlatformRow): PlatformDto {
    const live = this.cascade.status(r.id);
    const iso = (d: Date | number | null | undefined) => (d === null || d === undefined ? null : new Date(d).toISOString());
    return {
      id: r.id,
      name: r.name,
      serverId: r.serverId,
      domain: r.domain,
      host: r.host,
      port: r.port,
      transport: r.transport,
      localId: r.localId ?? this.cfg.SIP_ID,
      expiresS: r.expiresS,
      keepaliveS: r.keepaliveS,
      charset: r.charset,
      shareAll: r.shareAll,
      channels: r.channels,
      enabled: r.enabled,
      ownerNode: r.ownerNode,
      // The owner's live state when this node runs it; else what the owner last recorded.
      state: !r.enabled ? 'disabled' : (live?.state ?? r.state),
      cause: live ? live.cause : r.cause,
      stateAt: iso(live ? live.since : r.stateAt),
      lastKeepaliveAt: iso(live?.lastKeepaliveAt ?? r.lastKeepaliveAt),
      registeredUntil: iso(live?.registeredUntil),
      nextAttemptAt: iso(live?.nextAttemptAt),
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    };
  }
}

function notFound(id: string): GatewayError {
  return new GatewayError('NOT_FOUND', `superior platform ${id} not found`, { id });
}
