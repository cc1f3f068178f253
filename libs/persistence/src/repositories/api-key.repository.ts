import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ApiKeyEntity } from '../entities/api-key.entity';

export type ApiKeyRow = ApiKeyEntity;
export type NewApiKey = Omit<ApiKeyRow, 'id' | 'createdAt'> & { id?: string };

/** Most keys one list returns. */
export const MAX_API_KEYS_LISTED = 1000;

/** API keys, found by the hash of the key; revoking deletes the row. */
export class ApiKeyRepository {
  constructor(private readonly dataSource: DataSource) {}

  async create(k: NewApiKey): Promise<ApiKeyRow> {
    const row: ApiKeyRow = { ...k, id: k.id ?? randomUUID(), createdAt: new Date() };
    await this.dataSource.getRepository(ApiKeyEntity).insert(row);
    return { ...row };
  }

  async findByHash(keyHash: string): Promise<ApiKeyRow | null> {
    const r = await this.dataSource.getRepository(ApiKeyEntity).findOneBy({ keyHash });
    return r ? { ...r } : null;
  }

  /** Newest first. */
  async list(): Promise<ApiKeyRow[]> {
    const rows = await this.dataSource.getRepository(ApiKeyEntity).find({ order: { createdAt: 'DESC' }, take: MAX_API_KEYS_LISTED });
    return rows.map((r) => ({ ...r }));
  }

  /** The deleted row, or null when there was none. */
  async delete(id: string): Promise<ApiKeyRow | null> {
    const repo = this.dataSource.getRepository(ApiKeyEntity);
    const row = await repo.findOneBy({ id });
    if (!row) return null;
    await repo.delete({ id });
    return { ...row };
  }

}
