import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, openDatabase, type Database } from './open-database';
import { describeRepositoryContract } from './repository.contract';

/** Server for this suite; override with GB_TEST_PG_URL (must allow CREATE DATABASE). */
const ADMIN_URL = process.env.GB_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `gbtest_${randomBytes(6).toString('hex')}`;
const testUrl = (() => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
let current: Database | undefined;
let created = false;

async function admin<T>(work: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
  } catch (e) {
    throw new Error(
      `PostgreSQL is not reachable at ${new URL(ADMIN_URL).host} (${(e as Error).message}). ` +
        'Start it (e.g. `service postgresql start`, trust auth for user postgres on 127.0.0.1) or set GB_TEST_PG_URL.',
      { cause: e },
    );
  }
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  await admin((c) => c.query(`CREATE DATABASE "${dbName}"`));
  created = true;
  current = await openDatabase({ databaseUrl: testUrl, dataDir: '/nonexistent-unused' });
});

afterAll(async () => {
  await current?.close();
  if (created) await admin((c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
});

describe('openDatabase() with databaseUrl', () => {
  it('connects to the PostgreSQL server, not the embedded one', async () => {
    expect(current?.kind).toBe('postgres');
    const [row] = (await current!.dataSource.query('SELECT version() AS v, current_database() AS db')) as Array<{
      v: string;
      db: string;
    }>;
    expect(row.db).toBe(dbName);
    expect(row.v).not.toMatch(/PGlite/);
  });

  it('a second gateway opening the same database concurrently migrates once', async () => {
    const other = await openDatabase({ databaseUrl: testUrl, dataDir: '/nonexistent-unused', poolSize: 2 });
    try {
      expect(await other.dataSource.query(`SELECT count(*)::int AS n FROM migrations`)).toEqual([{ n: MIGRATIONS.length }]);
    } finally {
      await other.close();
    }
  });

  it('an unreachable server fails with DATABASE_UNREACHABLE and the message omits the password', async () => {
    const err = await openDatabase({ databaseUrl: 'postgres://gb:hunter2@127.0.0.1:1/gb', dataDir: '/unused' }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ name: 'PersistenceError', code: 'DATABASE_UNREACHABLE' });
    expect((err as Error).message).toContain('127.0.0.1:1/gb');
    expect((err as Error).message).not.toContain('hunter2');
  });
});

describeRepositoryContract('PostgreSQL', {
  db: () => current!,
  async reopen() {
    await current!.close();
    current = await openDatabase({ databaseUrl: testUrl, dataDir: '/nonexistent-unused' });
    return current;
  },
});
