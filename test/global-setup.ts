import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '@gb/persistence';

/**
 * Creates one migrated embedded database (PGlite initdb + migrations cost 5–25 s on a loaded 2-core machine) that
 * every in-process test gateway copies, so each end-to-end test opens an embedded database in well under a second.
 */
export default async function setup(): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), 'gbgw-template-'));
  const db = await openDatabase({ dataDir: dir });
  await db.close();
  process.env.GB_TEST_DB_TEMPLATE = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
