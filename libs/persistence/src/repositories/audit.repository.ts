import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AuditEntryEntity } from '../entities/audit-entry.entity';
import { chunk } from '../sql-columns';

export type AuditRow = AuditEntryEntity;
export type NewAuditEntry = Omit<AuditRow, 'id'> & { id?: string };

/** Most entries one list returns. */
export const MAX_AUDIT_LISTED = 1000;
/** Rows per INSERT statement of append(). */
export const AUDIT_INSERT_CHUNK_ROWS = 500;

/** The audit log: appended in batches, read newest first, pruned by age. */
export class AuditRepository {
  constructor(private readonly dataSource: DataSource) {}

  async append(entries: readonly NewAuditEntry[]): Promise<void> {
    const repo = this.dataSource.getRepository(AuditEntryEntity);
    for (const part of chunk(entries, AUDIT_INSERT_CHUNK_ROWS)) {
      await repo.insert(part.map((e) => ({ ...e, id: e.id ?? randomUUID() })));
    }
  }

  /** Newest first, at most MAX_AUDIT_LISTED. */
  async list(limit = 100): Promise<AuditRow[]> {
    const take = Math.max(1, Math.min(limit, MAX_AUDIT_LISTED));
    const rows = await this.dataSource.getRepository(AuditEntryEntity).find({ order: { at: 'DESC', id: 'ASC' }, take });
    return rows.map((r) => ({ ...r }));
  }

  /** Deletes entries older than `before`; returns how many. */
  async deleteOlderThan(before: Date): Promise<number> {
    const r = await this.dataSource.getRepository(AuditEntryEntity).createQueryBuilder().delete().where('"at" < :before', { before }).execute();
    return r.affected ?? 0;
  }
}
