import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { openDatabase, type Database } from '../open-database';

/**
 * An embedded database of its own for one spec file, opened before its tests and closed and removed after them.
 * It starts from the migrated template of test/global-setup.ts when there is one (skips PGlite's initdb, 5–25 s on
 * a loaded 2-core machine). Read `db` inside tests and hooks (it is set in the file's beforeAll).
 */
export function specDatabase(prefix: string): { readonly db: Database } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  let db: Database | undefined;
  beforeAll(async () => {
    const template = process.env.GB_TEST_DB_TEMPLATE;
    if (template && existsSync(join(template, 'pgdata'))) cpSync(join(template, 'pgdata'), join(root, 'data', 'pgdata'), { recursive: true });
    db = await openDatabase({ dataDir: join(root, 'data') });
  }, 180_000);
  afterAll(async () => {
    await db?.close();
    rmSync(root, { recursive: true, force: true });
  });
  return {
    get db(): Database {
      if (!db) throw new Error('specDatabase: the database is opened in beforeAll; read it inside a test or hook');
      return db;
    },
  };
}
