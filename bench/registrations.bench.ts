import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import type { BenchResult } from './bench-result';
import { GATEWAY_ENTRY, gatewayNodeArgs, newestTs, stopChild, waitHealthy } from './support/built-gateway';
import { cpuTicks, loadAverage, processTree } from './support/proc-stats';
import { deviceId, freePort, startSipp, stopAllSipp, type RunningSipp, type SippDevice } from '../test/support/sipp';

/**
 * Complete registrations and keepalive bursts of the built gateway, run as its own node process pinned to CPU 0
 * (taskset), driven by several sipp processes pinned to CPU 1.
 *
 * A complete registration (issue 14 item 2) is what a camera costs the gateway when it comes online: REGISTER, 401,
 * REGISTER with digest, 200; the gateway's DeviceInfo query (200, the DeviceInfo Response, 200); its Catalog query
 * (200, two Response MESSAGEs of one channel each under SumNum 2, GB2312-encoded, each answered 200); the device row
 * and both channel rows stored. The devices are sipp (device-register beside bench/support/sipp/device-catalog-answers.xml),
 * each with channel IDs of its own. The gateway's CPU (its process and any children: /proc/<pid>/stat) is read just
 * before the first REGISTER and when every device's channels are stored, found by polling the stored channel count:
 * with PostgreSQL straight from the database (costs the gateway nothing), with the embedded database through
 * GET /api/channels?limit=1 (each poll's own cost is measured afterwards and given in the note).
 *
 * Keepalive burst: the same devices, from the same SIP ports (a MESSAGE from another port would have to authenticate,
 * issue #16), send single keepalives at BENCH_KA_RATE per second in all (open loop: sipp sends on schedule whether or
 * not the answers came); a keepalive not answered within T1 = 500 ms is retransmitted by sipp and counted.
 *
 * With DATABASE_URL set, the gateway uses PostgreSQL: the bench (re)creates the database the URL names and drops it
 * afterwards, and reports the CPU of that database's backends (pg_stat_activity pids) apart.
 */
const GROUP = 'registrations';
const ROOT = resolve(__dirname, '..');
const ANSWERS = join(__dirname, 'support/sipp/device-catalog-answers.xml');
const DEVICES = Number(process.env.BENCH_DEVICES ?? 2_000);
const WARM_DEVICES = 200;
const CHANNELS_PER_DEVICE = 2;
const SIPP_PROCESSES = 4;
/** New REGISTER calls per second per sipp process: below the gateway's capacity on one core (see the figures). */
const RATE = Number(process.env.BENCH_RATE ?? 50);
/** Keepalives per second, all sipp processes together, and how many in all. */
const KA_RATE = Number(process.env.BENCH_KA_RATE ?? 10_000);
const KA_TOTAL = Number(process.env.BENCH_KA_TOTAL ?? 30_000);
const PASSWORD = '12345678';
const ADMIN_PASSWORD = 'bench-admin-password';
const TICKS = 100; // USER_HZ for /proc/<pid>/stat

export async function run(): Promise<BenchResult[]> {
  const buildNote = ensureBuilt();
  const pg = process.env.DATABASE_URL ? await freshDatabase(process.env.DATABASE_URL) : undefined;
  const dbName = pg ? 'PostgreSQL' : 'embedded';
  const dataDir = mkdtempSync(join(tmpdir(), 'gbgw-bench-'));
  const sipPort = await freePort();
  const httpPort = await freePort();
  // Node's default unhandled-rejection mode: a stray rejection in the gateway ends this bench, as it would a user's process.
  const gw = spawn('taskset', ['-c', '0', process.execPath, ...gatewayNodeArgs(), GATEWAY_ENTRY], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      SIP_HOST: '127.0.0.1',
      SIP_PORT: String(sipPort),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      DATA_DIR: dataDir,
      SIP_PASSWORD: PASSWORD,
      METRICS_PORT: '0',
      ADMIN_PASSWORD,
      KEEPALIVE_INTERVAL_S: '600',
      LOG_LEVEL: 'warn',
    },
  });
  let stderr = '';
  gw.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  gw.once('exit', (code, signal) => {
    if (process.env.BENCH_DEBUG) console.error(`gateway exited ${code ?? signal}: ${stderr}`);
  });
  try {
    const http = `http://127.0.0.1:${httpPort}`;
    await waitHealthy(`${http}/api/health`, gw, () => stderr);
    const token = await login(http);
    let polls = 0;
    const storedChannels = async (): Promise<number> => {
      polls++;
      if (pg) return Number((await pg.client.query<{ n: string }>('SELECT count(*) AS n FROM channels')).rows[0]!.n);
      const r = await fetch(`${http}/api/channels?limit=1`, { headers: { authorization: `Bearer ${token}` } });
      return ((await r.json()) as { total: number }).total;
    };
    const target = `127.0.0.1:${sipPort}`;
    const all: SippDevice[] = Array.from({ length: DEVICES + WARM_DEVICES }, (_, i) => ({ id: deviceId(1_000_000 + i), password: PASSWORD }));
    const warm = all.slice(0, WARM_DEVICES);
    const devices = all.slice(WARM_DEVICES);

    // Warm-up: JIT, database connections, first inserts; whole registrations like the measured ones.
    const warmSipp = await registerAll(target, [warm], 100, [await freePort()]);
    const warmAccepted = await allAccepted(warmSipp, WARM_DEVICES);
    if (!(await until(async () => (await storedChannels()) >= CHANNELS_PER_DEVICE * warmAccepted, 20_000, 250)) || warmAccepted < WARM_DEVICES * 0.9) {
      throw new Error(`warm-up: ${warmAccepted} of ${WARM_DEVICES} catalogs accepted, ${await storedChannels()} channels stored; ${stderr}`);
    }
    await Promise.all(warmSipp.map((s) => s.stop()));
    await sleep(1500);
    if (gw.exitCode !== null || gw.signalCode !== null) throw new Error(`gateway died during warm-up (${gw.exitCode ?? gw.signalCode}): ${stderr}`);
    const base = await storedChannels();

    // Complete registrations.
    const slices = split(devices, SIPP_PROCESSES);
    const ports = await Promise.all(slices.map(() => freePort()));
    const backends0 = pg ? await backendTicks(pg) : new Map<number, number>();
    const cpu0 = treeTicks(gw.pid!);
    const threads0 = threadTicks(gw.pid!);
    const load0 = loadAverage();
    const t0 = Date.now();
    polls = 0;
    const sipps = await registerAll(target, slices, RATE, ports);
    // The devices log each catalog the gateway accepted whole (its 200 to the last packet): the gateway is polled only
    // once they all have (or stopped progressing for 15 s: then the window holds that wait), until those rows are in.
    const accepted = await allAccepted(sipps, DEVICES);
    let stored = 0;
    const done = await until(async () => (stored = await storedChannels()) >= base + CHANNELS_PER_DEVICE * accepted, 20_000, 20);
    const regWallS = (Date.now() - t0) / 1000;
    const regCpuS = (treeTicks(gw.pid!) - cpu0) / TICKS;
    const regThreads = threadDelta(threads0, threadTicks(gw.pid!));
    const backendCpuS = pg ? sumDelta(backends0, await backendTicks(pg)) / TICKS : 0;
    const regPolls = polls;
    const regs = await Promise.all(sipps.map((s) => s.stop()));
    const completed = Math.max(0, (stored - base) / CHANNELS_PER_DEVICE);
    const regRetrans = sum(regs, (r) => r.stats?.retransmissions ?? 0);
    const unexpected = sum(regs, (r) => r.stats?.failedUnexpectedMessage ?? 0);

    // What one poll costs the gateway (embedded only: with PostgreSQL the bench reads the database itself).
    let pollCpuS = 0;
    if (!pg) {
      const p0 = treeTicks(gw.pid!);
      for (let i = 0; i < 50; i++) await storedChannels();
      pollCpuS = ((treeTicks(gw.pid!) - p0) / TICKS / 50) * regPolls;
    }

    const where = `${SIPP_PROCESSES} sipp on CPU 1, gateway on CPU 0, ${dbName} database${buildNote}`;
    const pollNote = `${accepted} catalogs accepted; ${pg ? `${regPolls} polls of PostgreSQL` : `${regPolls} GET /api/channels polls inside, ~${pollCpuS.toFixed(3)} CPU-s of it`}`;
    const results: BenchResult[] = [
      {
        group: GROUP,
        name: `complete registrations per gateway CPU-second (${dbName})`,
        value: round(completed / Math.max(regCpuS, 0.01)),
        unit: 'reg/cpu-s',
        target: 3000,
        note: `${completed} of ${DEVICES} devices with DeviceInfo + 2-packet GB2312 catalog stored${done ? '' : ' (TIMED OUT)'} in ${regWallS.toFixed(1)} s; gateway ${regCpuS.toFixed(2)} CPU-s (${regThreads}); ${pollNote}; ${regRetrans} retransmissions, ${unexpected} unexpected; ${where}; load ${load0}${completed < DEVICES ? `; gateway stderr: ${stderr.slice(-400)}` : ''}`,
      },
      {
        group: GROUP,
        name: `complete registrations/s, wall clock (${dbName})`,
        value: round(completed / regWallS),
        unit: 'reg/s',
        note: `offered ${RATE * SIPP_PROCESSES}/s`,
      },
    ];
    if (pg) {
      results.push({
        group: GROUP,
        name: 'complete registrations per CPU-second, gateway + PostgreSQL backends',
        value: round(completed / Math.max(regCpuS + backendCpuS, 0.01)),
        unit: 'reg/cpu-s',
        note: `PostgreSQL backends of the gateway's database used ${backendCpuS.toFixed(2)} CPU-s beside the gateway's ${regCpuS.toFixed(2)} (server processes such as the WAL writer not counted)`,
      });
    }
    // BENCH_KA_TOTAL=0: registrations only (e.g. for a profile of them).
    if (KA_TOTAL <= 0) return results;

    await sleep(3000); // the liveness flush of the registrations, out of the keepalive window

    // Keepalive burst from the registered devices' own ports (bench/support/keepalive-burst.ts, pinned to CPU 1).
    const devicesFile = join(dataDir, 'keepalive-devices.json');
    writeFileSync(devicesFile, JSON.stringify(Object.fromEntries(ports.map((port, i) => [String(port), slices[i]!.map((d) => d.id)]))));
    const cpu1 = treeTicks(gw.pid!);
    const threads1 = threadTicks(gw.pid!);
    const t1 = Date.now();
    const ka = await keepaliveBurst(sipPort, devicesFile);
    const kaWallS = (Date.now() - t1) / 1000;
    const kaCpuS = (treeTicks(gw.pid!) - cpu1) / TICKS;
    // By thread: `node` is V8's helper threads (GC marking and sweeping, the compiler) beside the PGlite worker.
    const kaThreads = threadDelta(threads1, threadTicks(gw.pid!));
    const load1 = loadAverage();
    const kaWhere = `keepalive-burst on CPU 1, gateway on CPU 0, ${dbName} database${buildNote}`;
    results.push(
      {
        group: GROUP,
        name: `keepalives answered within T1 at ${KA_RATE}/s (${dbName})`,
        value: ka.answered - ka.lateOverT1,
        unit: 'MESSAGE',
        note: `${ka.answered} of ${ka.sent} answered (${JSON.stringify(ka.statuses)}) in ${ka.seconds.toFixed(1)} s; ${ka.lateOverT1} later than T1 = 500 ms, ${ka.retransmissions} retransmissions, ${ka.lost} lost; latency p50 ${ka.p50Ms} ms, p99 ${ka.p99Ms} ms, max ${ka.maxMs} ms; ${kaWhere}`,
      },
      { group: GROUP, name: `keepalive MESSAGEs per gateway CPU-second (${dbName})`, value: round(ka.answered / Math.max(kaCpuS, 0.01)), unit: 'MESSAGE/cpu-s', target: 10_000, note: `gateway used ${kaCpuS.toFixed(2)} CPU-s (${kaThreads}; ${Math.round((100 * kaCpuS) / kaWallS)}% of a core over ${kaWallS.toFixed(1)} s); it also received ${ka.retransmissions} retransmissions; load ${load1}` },
    );
    return results;
  } finally {
    await stopAllSipp();
    await stopChild(gw);
    rmSync(dataDir, { recursive: true, force: true });
    await pg?.drop();
  }
}

interface BurstReport {
  sent: number;
  answered: number;
  retransmissions: number;
  lateOverT1: number;
  lost: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  statuses: Record<string, number>;
}

/** Runs bench/support/keepalive-burst.ts pinned to CPU 1 and returns its report. */
function keepaliveBurst(sipPort: number, devicesFile: string): Promise<BurstReport> {
  return new Promise((done, fail) => {
    const p = spawn('taskset', ['-c', '1', process.execPath, '--import', 'tsx', join(__dirname, 'support/keepalive-burst.ts')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KA_TARGET_PORT: String(sipPort), KA_DEVICES: devicesFile, KA_RATE: String(KA_RATE), KA_TOTAL: String(KA_TOTAL) },
    });
    let out = '';
    let err = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    const timer = setTimeout(() => p.kill('SIGKILL'), 90_000);
    p.once('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop();
      try {
        done(JSON.parse(line ?? '') as BurstReport);
      } catch {
        fail(new Error(`keepalive-burst exited ${code}: ${err}`));
      }
    });
  });
}

/** Starts one sipp per slice (device-register beside the catalog answers), each from its own SIP port. */
async function registerAll(target: string, slices: SippDevice[][], ratePerProcess: number, ports: number[]): Promise<RunningSipp[]> {
  return Promise.all(
    slices.map((slice, i) =>
      startSipp({
        scenario: 'device-register',
        ooc: ANSWERS,
        encoding: 'gb2312',
        target,
        transport: 'udp',
        devices: slice,
        localPort: ports[i],
        // -d: each call lingers after its 200; the process stays to answer queries until the bench stops it.
        args: ['-r', String(ratePerProcess), '-rp', '1000', '-l', '20000', '-d', '600000', '-trace_logs', '-log_file', CATALOG_LOG],
        traceMessages: false,
        cpus: '1',
      }),
    ),
  );
}

/** Waits until the devices of `sipps` logged `n` accepted catalogs, or none more for 15 s; returns how many. */
async function allAccepted(sipps: RunningSipp[], n: number): Promise<number> {
  let accepted = 0;
  let last = { n: -1, at: Date.now() };
  await until(async () => {
    accepted = sum(sipps, (s) => catalogsAccepted(s.logDir));
    if (accepted !== last.n) last = { n: accepted, at: Date.now() };
    return accepted >= n || Date.now() - last.at > 15_000;
  }, 180_000, 50);
  return accepted;
}

/** The devices' log of catalogs the gateway accepted whole (device-catalog-answers.xml), in each sipp's directory. */
const CATALOG_LOG = 'catalogs.log';

function catalogsAccepted(logDir: string): number {
  try {
    const text = readFileSync(join(logDir, CATALOG_LOG), 'latin1');
    let n = 0;
    for (let i = text.indexOf('catalog-done'); i !== -1; i = text.indexOf('catalog-done', i + 1)) n++;
    return n;
  } catch {
    return 0;
  }
}

async function login(http: string): Promise<string> {
  const r = await fetch(`${http}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
  if (r.status >= 300) throw new Error(`login failed: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { accessToken: string }).accessToken;
}

interface FreshDatabase {
  client: Client;
  name: string;
  drop(): Promise<void>;
}

/** (Re)creates the database DATABASE_URL names, on the same server, and connects to it; drop() removes it. */
async function freshDatabase(url: string): Promise<FreshDatabase> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.slice(1));
  if (!/^[a-z_][a-z0-9_]*$/.test(name) || name === 'postgres') throw new Error(`DATABASE_URL must name a scratch database (lower-case, not postgres): ${name}`);
  const adminUrl = new URL(url);
  adminUrl.pathname = '/postgres';
  const admin = new Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"`);
  const client = new Client({ connectionString: url });
  await client.connect();
  return {
    client,
    name,
    drop: async () => {
      await client.end().catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
      await admin.end().catch(() => undefined);
    },
  };
}

/** CPU ticks of each backend serving the gateway's database (not the bench's own connection). */
async function backendTicks(pg: FreshDatabase): Promise<Map<number, number>> {
  const { rows } = await pg.client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [pg.name]);
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    const t = cpuTicks(pid);
    if (t !== null) out.set(pid, t);
  }
  return out;
}

function sumDelta(a: Map<number, number>, b: Map<number, number>): number {
  let n = 0;
  for (const [pid, t] of b) n += t - (a.get(pid) ?? 0);
  return n;
}

/** CPU ticks of the gateway and its children (an embedded database in a child process counts as the gateway's). */
function treeTicks(pid: number): number {
  let n = 0;
  for (const p of processTree(pid)) n += cpuTicks(p) ?? 0;
  return n;
}

/**
 * Builds the gateway when dist is missing or older than the sources. A failed rebuild over an existing build
 * (sources mid-edit) falls back to that build; the returned note says so.
 */
function ensureBuilt(): string {
  if (process.env.BENCH_SKIP_BUILD === '1' && existsSync(GATEWAY_ENTRY)) return '';
  const srcTime = Math.max(newestTs(join(ROOT, 'apps/gateway/src')), newestTs(join(ROOT, 'libs')));
  if (existsSync(GATEWAY_ENTRY) && statSync(GATEWAY_ENTRY).mtimeMs >= srcTime) return '';
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/@nestjs/cli/bin/nest.js'), 'build', 'gateway'], { cwd: ROOT, stdio: 'pipe', encoding: 'utf8' });
  if (r.status === 0) return '';
  if (existsSync(GATEWAY_ENTRY)) return ' (stale build: nest build gateway failed, benchmarked the previous dist)';
  throw new Error(`nest build gateway failed (${r.status}): ${(r.stdout ?? '').slice(-2000)}`);
}

function threadTicksOf(pid: number, tid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** CPU ticks per thread name (/proc/<pid>/task/<tid>/comm), e.g. main, V8 DefaultWorke (GC), libuv-worker. */
function threadTicks(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = tid === String(pid) ? 'main' : readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      out.set(name, (out.get(name) ?? 0) + threadTicksOf(pid, Number(tid)));
    } catch {
      // the thread ended
    }
  }
  return out;
}

function threadDelta(a: Map<string, number>, b: Map<string, number>): string {
  return [...b].map(([k, v]) => [k, (v - (a.get(k) ?? 0)) / TICKS] as const).filter(([, v]) => v > 0.05).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${v.toFixed(2)} s`).join(', ');
}

async function until(fn: () => Promise<boolean>, timeoutMs: number, everyMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() > end) return false;
    await sleep(everyMs);
  }
}

function split<T>(xs: T[], n: number): T[][] {
  const out: T[][] = Array.from({ length: n }, () => []);
  xs.forEach((x, i) => out[i % n]!.push(x));
  return out;
}

function sum<T>(xs: T[], f: (x: T) => number): number {
  return xs.reduce((a, x) => a + f(x), 0);
}

function round(x: number): number {
  return Math.round(x);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
