import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'pg';
import { EMBEDDED_LOCK_FILE, EMBEDDED_PGDATA_DIR, EMBEDDED_SHARED_BUFFERS, EmbeddedPostgres } from './embedded-postgres';
import { openDatabase, type Database } from './open-database';
import { describeRepositoryContract } from './repository.contract';

// Each PGlite open costs seconds (initdb ~5 s on first open), so the whole file shares one data dir
// and opens it twice: once fresh, once in the contract's reopen test.
const root = mkdtempSync(join(tmpdir(), 'gb-persistence-'));
const dataDir = join(root, 'data'); // does not exist yet: openDatabase creates it
let current: Database | undefined;

beforeAll(async () => {
  current = await openDatabase({ dataDir });
}, 180_000); // initdb in WebAssembly: ~5 s on an idle core, 30 s seen on a loaded 2-core machine

afterAll(async () => {
  await current?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('openDatabase() without databaseUrl', () => {
  it('creates the data dir, an embedded cluster under <dataDir>/pgdata and a lock file naming this pid', () => {
    expect(current?.kind).toBe('embedded');
    expect(existsSync(join(dataDir, EMBEDDED_PGDATA_DIR, 'PG_VERSION'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dataDir, EMBEDDED_LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('a second open of the same dataDir while it is open fails with DATA_DIR_LOCKED and leaves the first usable', async () => {
    await expect(openDatabase({ dataDir })).rejects.toMatchObject({ code: 'DATA_DIR_LOCKED' });
    await expect(openDatabase({ dataDir })).rejects.toThrow(/in use by pid \d+/);
    expect(await current!.dataSource.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
  });

  it('runs PGlite with shared_buffers = EMBEDDED_SHARED_BUFFERS, not the 128MB default', async () => {
    expect(await current!.dataSource.query('SHOW shared_buffers')).toEqual([{ shared_buffers: EMBEDDED_SHARED_BUFFERS }]);
  });

  it('after the first start serves from a worker thread: the child process that ran initdb and the migrations is gone', async () => {
    expect(childrenRunningPglite()).toEqual([]);
    expect((await current!.dataSource.query('SELECT count(*)::int AS n FROM migrations'))[0].n).toBeGreaterThan(0);
  });

  it('serves the postgres driver on an ephemeral 127.0.0.1 port', () => {
    const o = current!.dataSource.options as { host?: string; port?: number };
    expect(o.host).toBe('127.0.0.1');
    expect(o.port).toBeGreaterThan(0);
    expect(o.port).not.toBe(5432);
  });
});

/** PIDs of this process's children whose command line loads PGlite (the first start's server process). */
function childrenRunningPglite(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('PGLiteSocketServer');
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

describe('EmbeddedPostgres in a child process', () => {
  it('serves from a child of this process, and stop() ends it and releases the lock', async () => {
    const dir = join(root, 'in-process');
    const pg = await EmbeddedPostgres.start(dir, 4, 'process');
    try {
      expect(pg.runsIn).toBe('process');
      expect(childrenRunningPglite()).toHaveLength(1);
      const client = new Client({ host: pg.host, port: pg.port, user: 'postgres', database: 'postgres' });
      await client.connect();
      expect((await client.query('SELECT 41 + 1 AS n')).rows).toEqual([{ n: 42 }]);
      await client.end();
    } finally {
      await pg.stop();
    }
    expect(childrenRunningPglite()).toEqual([]);
    expect(existsSync(join(dir, EMBEDDED_LOCK_FILE))).toBe(false);
    expect(EmbeddedPostgres.exists(dir)).toBe(true);
  }, 180_000);
});

describeRepositoryContract('embedded (PGlite)', {
  db: () => current!,
  async reopen() {
    await current!.close();
    expect(existsSync(join(dataDir, EMBEDDED_LOCK_FILE))).toBe(false);
    current = await openDatabase({ dataDir });
    return current;
  },
});
