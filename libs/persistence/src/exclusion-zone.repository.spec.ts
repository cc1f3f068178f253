import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from './open-database';

const root = mkdtempSync(join(tmpdir(), 'gb-exclusions-db-'));
let db: Database;

beforeAll(async () => {
  // Start from the migrated template of test/global-setup.ts when there is one (skips PGlite's initdb).
  const template = process.env.GB_TEST_DB_TEMPLATE;
  if (template && existsSync(join(template, 'pgdata'))) cpSync(join(template, 'pgdata'), join(root, 'data', 'pgdata'), { recursive: true });
  db = await openDatabase({ dataDir: join(root, 'data') });
}, 180_000);

afterAll(async () => {
  await db?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('ExclusionZoneRepository (migration 1796428800000)', () => {
  it('the hand-written migration and ExclusionZoneEntity agree (no pending change)', async () => {
    const pending = await db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('replace() swaps the zones of one channel only, list() keeps the given order, replace([]) clears them', async () => {
    const [a, b, device] = ['34020000001320000001', '34020000001320000002', '34020000001110000001'];
    await db.exclusions.replace(b, device, [{ zoneId: 'other', polygon: [[0, 0], [1, 0], [1, 1]] }]);
    await db.exclusions.replace(a, device, [
      { zoneId: 'sign', polygon: [[0, 0], [0.2, 0], [0.2, 0.2]] },
      { zoneId: 'car-park', polygon: [[0.5, 0.5], [1, 0.5], [1, 1], [0.5, 1]] },
    ]);
    expect((await db.exclusions.list(a)).map((z) => z.zoneId)).toEqual(['sign', 'car-park']);
    await db.exclusions.replace(a, device, [{ zoneId: 'sign', polygon: [[0.1, 0.1], [0.3, 0.1], [0.3, 0.3]] }]);
    expect(await db.exclusions.list(a)).toEqual([{ zoneId: 'sign', polygon: [[0.1, 0.1], [0.3, 0.1], [0.3, 0.3]] }]);
    await db.exclusions.replace(a, device, []);
    expect(await db.exclusions.list(a)).toEqual([]);
    expect(await db.exclusions.list(b)).toEqual([{ zoneId: 'other', polygon: [[0, 0], [1, 0], [1, 1]] }]);
  });
});
