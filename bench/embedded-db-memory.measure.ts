// Idle memory of the built gateway with the embedded database (PGlite) and with PostgreSQL (DATABASE_URL), issue 14 item 4.
//   npx tsx bench/embedded-db-memory.measure.ts [embedded-fresh] [embedded-restart] [postgres]   (default: all three)
// embedded-fresh: first start on an empty DATA_DIR (initdb runs); embedded-restart: the same DATA_DIR started again
// (what a long-running install sees); postgres: a fresh database on BENCH_PG_ADMIN_URL's server (CREATE DATABASE, dropped after).
// The embedded database runs in a worker thread of the gateway process, so its memory is the difference to the postgres line.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startBuiltGateway, type BuiltGateway } from './support/built-gateway';
import { loadAverage, pssKb, rssKb } from './support/proc-stats';

/** Server for the postgres line (must allow CREATE DATABASE). */
const ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Idle = VmRSS moved less than this over the last SETTLED_SAMPLES one-second samples. */
const SETTLED_KB = 2048;
const SETTLED_SAMPLES = 5;
const MAX_WAIT_S = 40;

type Mode = 'embedded-fresh' | 'embedded-restart' | 'postgres';
const MODES: Mode[] = ['embedded-fresh', 'embedded-restart', 'postgres'];

interface Figures {
  mode: Mode;
  rssMb: number;
  pssMb: number;
  /** VmHWM: the highest VmRSS since start (initdb's peak on a fresh data dir). */
  peakMb: number;
  threads: number;
  settledAfterS: number;
  startS: number;
}

async function main(): Promise<void> {
  const asked = process.argv.slice(2) as Mode[];
  const bad = asked.filter((m) => !MODES.includes(m));
  if (bad.length) throw new Error(`unknown mode ${bad.join(', ')}; modes: ${MODES.join(', ')}`);
  const modes = asked.length ? MODES.filter((m) => asked.includes(m)) : MODES; // fresh before restart
  const dataDir = mkdtempSync(join(tmpdir(), 'gbgw-dbmem-'));
  const out: Figures[] = [];
  try {
    for (const mode of modes) {
      if (mode === 'postgres') out.push(await withFreshPostgresDb((url) => measure(mode, { DATABASE_URL: url })));
      else {
        // Both embedded modes use one DATA_DIR: restart measures the cluster that fresh made (made here first when fresh was not asked).
        const env = { DATA_DIR: join(dataDir, 'data') };
        if (mode === 'embedded-restart' && !out.some((f) => f.mode === 'embedded-fresh')) await (await startBuiltGateway({ rtpPorts: 20, env })).stop();
        out.push(await measure(mode, env));
      }
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  const pg = out.find((f) => f.mode === 'postgres');
  for (const f of out) {
    const delta = pg && f.mode !== 'postgres' ? `; embedded database ≈ ${(f.rssMb - pg.rssMb).toFixed(0)} MB (minus the postgres line)` : '';
    console.log(
      `${f.mode.padEnd(17)} idle VmRSS ${f.rssMb.toFixed(0).padStart(4)} MB  Pss ${f.pssMb.toFixed(0).padStart(4)} MB  peak VmHWM ${f.peakMb.toFixed(0).padStart(4)} MB  ` +
        `threads ${f.threads}  healthy after ${f.startS.toFixed(1)} s, settled ${f.settledAfterS} s later${delta}`,
    );
  }
  console.log(`load average ${loadAverage()} (2 cores shared with other work)`);
}

async function measure(mode: Mode, env: Record<string, string>): Promise<Figures> {
  const t0 = performance.now();
  const gw: BuiltGateway = await startBuiltGateway({ rtpPorts: 20, env });
  const startS = (performance.now() - t0) / 1000;
  try {
    const samples: number[] = [];
    let waited = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 1000));
      waited++;
      samples.push(rssKb(gw.pid) ?? 0);
      const last = samples.slice(-SETTLED_SAMPLES);
      if (last.length === SETTLED_SAMPLES && Math.max(...last) - Math.min(...last) < SETTLED_KB) break;
      if (waited >= MAX_WAIT_S) break;
    }
    const status = readFileSync(`/proc/${gw.pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
    return {
      mode,
      rssMb: kb('VmRSS') / 1024,
      pssMb: (pssKb(gw.pid) ?? 0) / 1024,
      peakMb: kb('VmHWM') / 1024,
      threads: Number(/Threads:\s+(\d+)/.exec(status)?.[1] ?? 0),
      settledAfterS: waited,
      startS,
    };
  } finally {
    await gw.stop();
  }
}

async function withFreshPostgresDb<T>(work: (url: string) => Promise<T>): Promise<T> {
  const name = `gbgw_dbmem_${randomBytes(5).toString('hex')}`;
  const admin = async (sql: string) => {
    const c = new Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
    try {
      await c.connect();
    } catch (e) {
      throw new Error(`PostgreSQL is not reachable at ${new URL(ADMIN_URL).host} (${(e as Error).message}): start it or set BENCH_PG_ADMIN_URL`, { cause: e });
    }
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  try {
    const u = new URL(ADMIN_URL);
    u.pathname = `/${name}`;
    return await work(u.toString());
  } finally {
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
