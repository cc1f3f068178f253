import { randomUUID } from 'node:crypto';
import { Brackets, type DataSource, type Repository } from 'typeorm';
import { DeviceAlarmEntity } from '../entities/device-alarm.entity';

export type DeviceAlarmRow = DeviceAlarmEntity;
export type NewDeviceAlarm = Omit<DeviceAlarmRow, 'id' | 'ackedAt' | 'ackedBy' | 'clearedAt' | 'clearedBy'> & { id?: string };
/** open: neither acknowledged nor cleared; acknowledged: acknowledged, not cleared; cleared: cleared. */
export type DeviceAlarmState = 'open' | 'acknowledged' | 'cleared';

/** Most alarms one list returns. */
export const MAX_DEVICE_ALARMS_PAGE = 500;
/** Most rows one retention sweep deletes per statement. */
export const ALARM_DELETE_CHUNK_ROWS = 5_000;

export interface DeviceAlarmFilter {
  deviceId?: string;
  channelId?: string;
  priority?: string;
  method?: string;
  /** receivedAt >= from. */
  from?: Date;
  /** receivedAt < to. */
  to?: Date;
  state?: DeviceAlarmState;
  /** Keyset: rows strictly older than this (receivedAt, id), as the previous page's last row. */
  before?: { receivedAt: Date; id: string };
  limit?: number;
}

/** Stored device alarms: newest first, keyset paging, acknowledge / clear once, retention by received time. */
export class DeviceAlarmRepository {
  private readonly repo: Repository<DeviceAlarmEntity>;

  constructor(dataSource: DataSource) {
    this.repo = dataSource.getRepository(DeviceAlarmEntity);
  }

  async add(a: NewDeviceAlarm): Promise<DeviceAlarmRow> {
    const row: DeviceAlarmRow = { ...a, id: a.id ?? randomUUID(), ackedAt: null, ackedBy: null, clearedAt: null, clearedBy: null };
    await this.repo.insert(row);
    return { ...row };
  }

  async get(id: string): Promise<DeviceAlarmRow | null> {
    const r = await this.repo.findOneBy({ id });
    return r ? { ...r } : null;
  }

  /** Newest first (receivedAt, then id, descending), at most `limit` (≤ MAX_DEVICE_ALARMS_PAGE). */
  async list(f: DeviceAlarmFilter = {}): Promise<DeviceAlarmRow[]> {
    const q = this.repo.createQueryBuilder('a');
    if (f.deviceId !== undefined) q.andWhere('a.deviceId = :deviceId', { deviceId: f.deviceId });
    if (f.channelId !== undefined) q.andWhere('a.channelId = :channelId', { channelId: f.channelId });
    if (f.priority !== undefined) q.andWhere('a.priority = :priority', { priority: f.priority });
    if (f.method !== undefined) q.andWhere('a.method = :method', { method: f.method });
    if (f.from !== undefined) q.andWhere('a.receivedAt >= :from', { from: f.from });
    if (f.to !== undefined) q.andWhere('a.receivedAt < :to', { to: f.to });
    if (f.state === 'open') q.andWhere('a.ackedAt IS NULL AND a.clearedAt IS NULL');
    else if (f.state === 'acknowledged') q.andWhere('a.ackedAt IS NOT NULL AND a.clearedAt IS NULL');
    else if (f.state === 'cleared') q.andWhere('a.clearedAt IS NOT NULL');
    const before = f.before;
    if (before) {
      q.andWhere(
        new Brackets((w) => {
          w.where('a.receivedAt < :bAt', { bAt: before.receivedAt }).orWhere('a.receivedAt = :bAt AND a.id < :bId', { bId: before.id });
        }),
      );
    }
    const rows = await q
      .orderBy('a.receivedAt', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .take(Math.max(1, Math.min(f.limit ?? 100, MAX_DEVICE_ALARMS_PAGE)))
      .getMany();
    return rows.map((r) => ({ ...r }));
  }

  /** Marks an alarm acknowledged (once: a second call keeps the first who and when). Null when there is no such alarm. */
  async acknowledge(id: string, by: string, at: Date): Promise<DeviceAlarmRow | null> {
    await this.repo.createQueryBuilder().update().set({ ackedAt: at, ackedBy: by }).where('id = :id AND acked_at IS NULL', { id }).execute();
    return this.get(id);
  }

  /** Marks an alarm cleared (once). Null when there is no such alarm. */
  async clear(id: string, by: string, at: Date): Promise<DeviceAlarmRow | null> {
    await this.repo.createQueryBuilder().update().set({ clearedAt: at, clearedBy: by }).where('id = :id AND cleared_at IS NULL', { id }).execute();
    return this.get(id);
  }

  /** Deletes alarms received before `before`, at most `max` (oldest first); returns how many went. */
  async deleteReceivedBefore(before: Date, max = ALARM_DELETE_CHUNK_ROWS): Promise<number> {
    const res = (await this.repo.query(
      `DELETE FROM "device_alarms" WHERE "id" IN (SELECT "id" FROM "device_alarms" WHERE "received_at" < $1 ORDER BY "received_at" LIMIT $2)`,
      [before, max],
    )) as [unknown, number] | unknown[];
    return affected(res);
  }
}

/** node-postgres DELETE through TypeORM's query(): [rows, rowCount]. */
export function affected(res: unknown): number {
  return Array.isArray(res) && typeof res[1] === 'number' ? res[1] : 0;
}
