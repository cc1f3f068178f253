import { randomUUID } from 'node:crypto';
import { IsNull, type DataSource, type FindOptionsWhere, type Repository } from 'typeorm';
import { AlertEntity } from '../entities/alert.entity';

export type AlertRow = AlertEntity;
export type NewAlert = Omit<AlertRow, 'id' | 'clearedAt' | 'ackedAt' | 'ackedBy' | 'ackComment' | 'state' | 'nodeId' | 'warnedAt'> & { id?: string; nodeId?: string | null; warnedAt?: Date | null };
export type AlertPatch = Partial<Pick<AlertRow, 'state' | 'level' | 'peakIndex' | 'clearedAt' | 'ackedAt' | 'ackedBy' | 'ackComment' | 'snapshotFile'>>;

/** Most alerts one list returns. */
export const MAX_ALERTS_LISTED = 1000;

/** Congestion alerts: created active, then patched (peak, cleared, acknowledged, snapshot). */
export class AlertRepository {
  private readonly repo: Repository<AlertEntity>;

  constructor(dataSource: DataSource) {
    this.repo = dataSource.getRepository(AlertEntity);
  }

  async create(a: NewAlert): Promise<AlertRow> {
    const row: AlertRow = { ...a, id: a.id ?? randomUUID(), nodeId: a.nodeId ?? null, warnedAt: a.warnedAt ?? null, state: 'active', clearedAt: null, ackedAt: null, ackedBy: null, ackComment: null };
    await this.repo.insert(row);
    return { ...row };
  }

  async get(id: string): Promise<AlertRow | null> {
    const r = await this.repo.findOneBy({ id });
    return r ? { ...r } : null;
  }

  async update(id: string, patch: AlertPatch): Promise<AlertRow | null> {
    if (Object.keys(patch).length) await this.repo.update({ id }, patch);
    return this.get(id);
  }

  /** Newest first. */
  async list(filter: { state?: AlertRow['state']; channelId?: string; limit?: number } = {}): Promise<AlertRow[]> {
    const where: FindOptionsWhere<AlertEntity> = {};
    if (filter.state) where.state = filter.state;
    if (filter.channelId) where.channelId = filter.channelId;
    const rows = await this.repo.find({ where, order: { raisedAt: 'DESC' }, take: Math.min(filter.limit ?? 100, MAX_ALERTS_LISTED) });
    return rows.map((r) => ({ ...r }));
  }

  /** Alerts left active by a previous run (the gateway clears them at start: their state machine is gone). */
  async listActive(node?: string): Promise<AlertRow[]> {
    const rows = node === undefined ? await this.repo.findBy({ state: 'active' }) : await this.repo.find({ where: [{ state: 'active', nodeId: node }, { state: 'active', nodeId: IsNull() }] });
    return rows.map((r) => ({ ...r }));
  }
}
