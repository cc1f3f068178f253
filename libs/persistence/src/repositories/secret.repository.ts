import type { DataSource } from 'typeorm';

/** Generated application secrets (admin password hash, JWT secret). Values are never logged here. */
export class SecretRepository {
  constructor(private readonly dataSource: DataSource) {}

  async get(key: string): Promise<string | null> {
    const rows = (await this.dataSource.query(`SELECT "value" FROM "app_secrets" WHERE "key" = $1`, [key])) as Array<{
      value: string;
    }>;
    return rows[0]?.value ?? null;
  }

  async set(key: string, value: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO "app_secrets" ("key", "value") VALUES ($1, $2) ON CONFLICT ("key") DO UPDATE SET "value" = EXCLUDED."value"`,
      [key, value],
    );
  }

  /**
   * Returns the stored value, or stores `make()` and returns it. Race-safe across processes sharing
   * one PostgreSQL: the first insert wins and every caller gets that value.
   */
  async getOrCreate(key: string, make: () => string): Promise<string> {
    const existing = await this.get(key);
    if (existing !== null) return existing;
    const rows = (await this.dataSource.query(
      `INSERT INTO "app_secrets" ("key", "value") VALUES ($1, $2) ON CONFLICT ("key") DO NOTHING RETURNING "value"`,
      [key, make()],
    )) as Array<{ value: string }>;
    if (rows.length > 0) return rows[0].value;
    return (await this.get(key)) as string;
  }
}
