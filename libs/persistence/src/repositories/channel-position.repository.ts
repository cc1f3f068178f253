import { randomUUID } from 'node:crypto';
import type { DataSource, Repository } from 'typeorm';
import { ChannelPositionEntity } from '../entities/channel-position.entity';
import { affected } from './device-alarm.repository';

export type ChannelPositionRow = ChannelPositionEntity;
export type NewChannelPosition = Omit<ChannelPositionRow, 'id'> & { id?: string };

/** Most positions one list returns (a day at one every 10 s is 8,640). */
export const MAX_POSITIONS_LISTED = 10_000;
/** Most channels whose latest position one call looks up. */
export const MAX_LATEST_POSITIONS = 10_000;
/** Most rows one retention sweep deletes per statement. */
export const POSITION_DELETE_CHUNK_ROWS = 5_000;

/** Mobile positions per channel: appended, listed by time, the latest per channel, retention by time. */
export class ChannelPositionRepository {
  private readonly repo: Repository<ChannelPositionEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.repo = dataSource.getRepository(ChannelPositionEntity);
  }

  async add(p: NewChannelPosition): Promise<ChannelPositionRow> {
    const row: ChannelPositionRow = { ...p, id: p.id ?? randomUUID() };
    await this.repo.insert(row);
    return { ...row };
  }

  /**
   * A channel's positions with from <= time < to, oldest first; when more than `limit` (≤ MAX_POSITIONS_LISTED)
   * match, the latest `limit` of them.
   */
  async list(channelId: string, f: { from?: Date; to?: Date; limit?: number } = {}): Promise<ChannelPositionRow[]> {
    const q = this.repo.createQueryBuilder('p').where('p.channelId = :channelId', { channelId });
    if (f.from !== undefined) q.andWhere('p.time >= :from', { from: f.from });
    if (f.to !== undefined) q.andWhere('p.time < :to', { to: f.to });
    const rows = await q
      .orderBy('p.time', 'DESC')
      .addOrderBy('p.receivedAt', 'DESC')
      .take(Math.max(1, Math.min(f.limit ?? 1000, MAX_POSITIONS_LISTED)))
      .getMany();
    return rows.reverse().map((r) => ({ ...r }));
  }

  /** The latest position of each of `channelIds` that has one (at most MAX_LATEST_POSITIONS channels asked). */
  async latest(channelIds: readonly string[]): Promise<Map<string, ChannelPositionRow>> {
    const out = new Map<string, ChannelPositionRow>();
    if (channelIds.length === 0) return out;
    const ids = [...new Set(channelIds)].slice(0, MAX_LATEST_POSITIONS);
    const rows = await this.repo
      .createQueryBuilder('p')
      .distinctOn(['p.channelId'])
      .where('p.channelId IN (:...ids)', { ids })
      .orderBy('p.channelId')
      .addOrderBy('p.time', 'DESC')
      .addOrderBy('p.receivedAt', 'DESC')
      .getMany();
    for (const r of rows) out.set(r.channelId, { ...r });
    return out;
  }

  /** Deletes positions older than `before`, at most `max`; returns how many went. */
  async deleteBefore(before: Date, max = POSITION_DELETE_CHUNK_ROWS): Promise<number> {
    const res: unknown = await this.dataSource.query(
      `DELETE FROM "channel_positions" WHERE "id" IN (SELECT "id" FROM "channel_positions" WHERE "time" < $1 ORDER BY "time" LIMIT $2)`,
      [before, max],
    );
    return affected(res);
  }
}
