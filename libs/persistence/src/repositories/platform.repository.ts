import type { DataSource, Repository } from 'typeorm';
import { PlatformEntity } from '../entities/platform.entity';

/** Most superior platforms listed (and so, in practice, configured). */
export const MAX_PLATFORMS_LISTED = 1000;

export type PlatformState = 'registering' | 'online' | 'failed' | 'disabled';
export type PlatformTransport = 'udp' | 'tcp';

/** A superior platform as stored, password included: only the gateway's cascade service reads this. */
export interface PlatformRow {
  id: string;
  name: string;
  serverId: string;
  domain: string;
  host: string;
  port: number;
  transport: PlatformTransport;
  password: string;
  localId: string | null;
  expiresS: number;
  keepaliveS: number;
  charset: string;
  shareAll: boolean;
  channels: string[];
  enabled: boolean;
  ownerNode: string;
  state: PlatformState;
  cause: string | null;
  stateAt: Date | null;
  lastKeepaliveAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export type NewPlatform = Omit<PlatformRow, 'state' | 'cause' | 'stateAt' | 'lastKeepaliveAt' | 'createdAt' | 'updatedAt'> & { now: Date };
export type PlatformPatch = Partial<Omit<PlatformRow, 'id' | 'ownerNode' | 'state' | 'cause' | 'stateAt' | 'lastKeepaliveAt' | 'createdAt' | 'updatedAt'>>;
/** What the owning node records of the registration (no updated_at change: that marks operator edits). */
export interface PlatformStatePatch {
  state?: PlatformState;
  cause?: string | null;
  stateAt?: Date;
  lastKeepaliveAt?: Date;
}

/** Superior platforms (cascade): operator settings and the registration state their owner node records. */
export class PlatformRepository {
  private readonly repo: Repository<PlatformEntity>;

  constructor(dataSource: DataSource) {
    this.repo = dataSource.getRepository(PlatformEntity);
  }

  async list(): Promise<PlatformRow[]> {
    return (await this.repo.find({ order: { createdAt: 'ASC', id: 'ASC' }, take: MAX_PLATFORMS_LISTED })).map(toRow);
  }

  async listOwnedBy(nodeId: string): Promise<PlatformRow[]> {
    return (await this.repo.find({ where: { ownerNode: nodeId }, order: { createdAt: 'ASC', id: 'ASC' }, take: MAX_PLATFORMS_LISTED })).map(toRow);
  }

  async get(id: string): Promise<PlatformRow | undefined> {
    const e = await this.repo.findOneBy({ id });
    return e ? toRow(e) : undefined;
  }

  async create(p: NewPlatform): Promise<PlatformRow> {
    const { now, ...rest } = p;
    const e = this.repo.create({ ...rest, state: p.enabled ? 'registering' : 'disabled', cause: null, stateAt: now, lastKeepaliveAt: null, createdAt: now, updatedAt: now });
    await this.repo.insert(e);
    return toRow(e);
  }

  /** Applies an operator edit; undefined when the platform is gone. */
  async update(id: string, patch: PlatformPatch, now: Date): Promise<PlatformRow | undefined> {
    const r = await this.repo.update({ id }, { ...patch, updatedAt: now });
    if (!r.affected) return undefined;
    return this.get(id);
  }

  async recordState(id: string, s: PlatformStatePatch): Promise<void> {
    if (Object.keys(s).length === 0) return;
    await this.repo.update({ id }, s);
  }

  /** Moves a platform to node `to` if `from` still owns it (two nodes adopting at once: one wins). */
  async adopt(id: string, from: string, to: string): Promise<boolean> {
    return ((await this.repo.update({ id, ownerNode: from }, { ownerNode: to })).affected ?? 0) > 0;
  }

  /** true when a row was deleted. */
  async delete(id: string): Promise<boolean> {
    return ((await this.repo.delete({ id })).affected ?? 0) > 0;
  }
}

function toRow(e: PlatformEntity): PlatformRow {
  return {
    id: e.id,
    name: e.name,
    serverId: e.serverId,
    domain: e.domain,
    host: e.host,
    port: e.port,
    transport: e.transport as PlatformTransport,
    password: e.password,
    localId: e.localId,
    expiresS: e.expiresS,
    keepaliveS: e.keepaliveS,
    charset: e.charset,
    shareAll: e.shareAll,
    channels: e.channels ?? [],
    enabled: e.enabled,
    ownerNode: e.ownerNode,
    state: e.state as PlatformState,
    cause: e.cause,
    stateAt: e.stateAt,
    lastKeepaliveAt: e.lastKeepaliveAt,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}
