import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { connect } from 'nats';

const ROOT = resolve(__dirname, '../..');
const TSX = resolve(ROOT, 'node_modules/.bin/tsx');
export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
export const CLUSTER_ADMIN_PASSWORD = 'cluster-admin-password';

/** Fails with what to start when PostgreSQL or NATS is not there. */
export async function requireServices(): Promise<void> {
  const pg = new Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await pg.connect();
  } catch (e) {
    throw new Error(`this test needs PostgreSQL at ${PG_ADMIN_URL} (user postgres, trust auth): apt-get install -y postgresql and start it (${(e as Error).message})`);
  } finally {
    await pg.end().catch(() => undefined);
  }
  try {
    const nc = await connect({ servers: NATS_URL, timeout: 3000 });
    await nc.close();
  } catch (e) {
    throw new Error(`this test needs a NATS server at ${NATS_URL}: apt-get install -y nats-server && nats-server -a 127.0.0.1 -p 4222 (${(e as Error).message})`);
  }
}

/** A fresh database for one test run; `drop()` removes it (connections closed first). */
export async function createTestDatabase(prefix = 'gb_cluster'): Promise<{ url: string; name: string; query<T>(sql: string, params?: unknown[]): Promise<T[]>; drop(): Promise<void> }> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const client = new Client({ connectionString: url });
  await client.connect();
  return {
    url,
    name,
    query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
    drop: async () => {
      await client.end().catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
      await admin.end().catch(() => undefined);
    },
  };
}

/** A port free for both UDP and TCP on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((res, rej) => {
      const s = createServer();
      s.once('error', rej);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => res(p));
      });
    });
    const udpFree = await new Promise<boolean>((res) => {
      const u = createSocket('udp4');
      u.once('error', () => res(false));
      u.bind(port, '127.0.0.1', () => u.close(() => res(true)));
    });
    if (udpFree) return port;
  }
}

export interface ProcessHandle {
  child: ChildProcess;
  logFile: string;
  /** The last lines of its log (for failure messages). */
  tail(lines?: number): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it exited. */
  stop(graceMs?: number): Promise<void>;
  kill9(): Promise<void>;
  exited: Promise<number | null>;
}

const GATEWAY_ENTRY = resolve(ROOT, 'dist/apps/gateway/apps/gateway/src/main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * The gateway runs as a process from its build (`nest build gateway`, as `npm start` does): Nest's injection needs
 * the decorator metadata tsc emits, which tsx does not. Built here when missing or older than the sources.
 */
export function ensureGatewayBuilt(): void {
  const src = Math.max(newestMtime(resolve(ROOT, 'apps/gateway/src')), newestMtime(resolve(ROOT, 'libs')));
  if (existsSync(GATEWAY_ENTRY) && statSync(GATEWAY_ENTRY).mtimeMs >= src) return;
  const r = spawnSync(process.execPath, [resolve(ROOT, 'node_modules/@nestjs/cli/bin/nest.js'), 'build', 'gateway'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nest build gateway failed:\n${r.stdout}\n${r.stderr}`);
}

function startProcess(name: string, entry: string, env: Record<string, string>, logDir: string): ProcessHandle {
  const logFile = join(logDir, `${name}.log`);
  const out = createWriteStream(logFile);
  // The vision worker runs under tsx (its injection takes explicit tokens); the gateway from its build.
  const [cmd, args] = entry.endsWith('.js') ? [process.execPath, [entry]] : [TSX, [entry]];
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(out, { end: false });
  child.stderr!.pipe(out, { end: false });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const stop = async (graceMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
  };
  return {
    child,
    logFile,
    exited,
    tail: (lines = 30) => {
      try {
        return readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
    stop,
    kill9: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface GatewayNode extends ProcessHandle {
  nodeId: string;
  httpUrl: string;
  sipPort: number;
  metricsPort: number;
  env: Record<string, string>;
  token(): Promise<string>;
  api<T = unknown>(path: string, init?: RequestInit): Promise<{ status: number; body: T }>;
}

export interface GatewayNodeOptions {
  nodeId: string;
  databaseUrl: string;
  prefix: string;
  logDir: string;
  env?: Record<string, string>;
  /** Reuse the ports of an earlier run of the same node (a restart). */
  ports?: { http: number; sip: number; metrics: number; rtpMin: number };
}

/** Starts the built gateway (ensureGatewayBuilt) as a separate process on loopback; resolves when /api/health answers. */
export async function startGatewayNode(o: GatewayNodeOptions): Promise<GatewayNode> {
  const ports = o.ports ?? { http: await freePort(), sip: await freePort(), metrics: await freePort(), rtpMin: 40000 + 2 * Math.floor(Math.random() * 4000) };
  const httpUrl = `http://127.0.0.1:${ports.http}`;
  const env: Record<string, string> = {
    NODE_ID: o.nodeId,
    PUBLIC_URL: httpUrl,
    DATABASE_URL: o.databaseUrl,
    NATS_URL,
    CLUSTER_NATS_PREFIX: o.prefix,
    VISION_NATS_PREFIX: o.prefix,
    SIP_HOST: '127.0.0.1',
    SIP_PORT: String(ports.sip),
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(ports.http),
    METRICS_PORT: String(ports.metrics),
    MEDIA_IP: '127.0.0.1',
    MEDIA_BIND_HOST: '127.0.0.1',
    RTP_PORT_MIN: String(ports.rtpMin),
    RTP_PORT_MAX: String(ports.rtpMin + 63),
    ADMIN_PASSWORD: CLUSTER_ADMIN_PASSWORD,
    DATA_DIR: mkdtempSync(join(tmpdir(), `gbnode-${o.nodeId}-`)),
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'info',
    ...o.env,
  };
  ensureGatewayBuilt();
  const h = startProcess(`gateway-${o.nodeId}-${Date.now().toString(36)}`, GATEWAY_ENTRY, env, o.logDir);
  const until = Date.now() + 90_000;
  for (;;) {
    if (h.child.exitCode !== null) throw new Error(`gateway ${o.nodeId} exited with ${h.child.exitCode}:\n${h.tail()}`);
    if (Date.now() > until) {
      await h.kill9();
      throw new Error(`gateway ${o.nodeId} did not answer /api/health within 90 s:\n${h.tail()}`);
    }
    const ok = await fetch(`${httpUrl}/api/health`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 300));
  }
  let token: Promise<string> | undefined;
  const getToken = () => {
    token ??= (async () => {
      const r = await fetch(`${httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: CLUSTER_ADMIN_PASSWORD }) });
      if (!r.ok) throw new Error(`login at ${o.nodeId}: ${r.status} ${await r.text()}`);
      return ((await r.json()) as { accessToken: string }).accessToken;
    })();
    return token;
  };
  const stop = h.stop;
  return {
    ...h,
    stop: async (grace) => {
      await stop(grace);
      rmSync(env.DATA_DIR!, { recursive: true, force: true });
    },
    nodeId: o.nodeId,
    httpUrl,
    sipPort: ports.sip,
    metricsPort: ports.metrics,
    env,
    token: getToken,
    api: async <T>(path: string, init: RequestInit = {}) => {
      const headers = { authorization: `Bearer ${await getToken()}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string>) };
      const r = await fetch(`${httpUrl}${path}`, { ...init, headers });
      const text = await r.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        /* not JSON */
      }
      return { status: r.status, body: body as T };
    },
  };
}

/** Starts `tsx apps/vision-worker/src/main.ts` on NATS (distributed mode), with its metrics on a free port. */
export async function startVisionWorker(o: { workerId: string; prefix: string; logDir: string; env?: Record<string, string> }): Promise<ProcessHandle & { metricsPort: number }> {
  const metricsPort = await freePort();
  const h = startProcess(`vision-${o.workerId}`, 'apps/vision-worker/src/main.ts', {
    NATS_URL,
    VISION_NATS_PREFIX: o.prefix,
    VISION_WORKER_ID: o.workerId,
    VISION_MODEL: resolve(ROOT, '../shared/models/yolox_nano.onnx'),
    METRICS_PORT: String(metricsPort),
    ...o.env,
  }, o.logDir);
  return { ...h, metricsPort };
}

export function makeLogDir(): string {
  return mkdtempSync(join(tmpdir(), 'gb-cluster-logs-'));
}
