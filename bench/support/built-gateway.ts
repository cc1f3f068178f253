import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { killAll, processTree } from './proc-stats';

const ROOT = resolve(__dirname, '../..');
/**
 * Checkout whose built gateway the benches run: this one, or BENCH_GATEWAY_DIR (another checkout, e.g. a git worktree
 * of an older commit with its own `nest build gateway`, to compare before and after with the same bench code).
 */
export const GATEWAY_ROOT = process.env.BENCH_GATEWAY_DIR ? resolve(process.env.BENCH_GATEWAY_DIR) : ROOT;
/** `nest build gateway` output. The gateway cannot run under tsx (no decorator metadata), so benches run this. */
export const GATEWAY_ENTRY = join(GATEWAY_ROOT, 'dist/apps/gateway/apps/gateway/src/main.js');
const ADMIN_PASSWORD = 'bench-admin-password';

export interface BuiltGatewayOptions {
  rtpPorts: number;
  /** Extra environment (overrides the defaults below). */
  env?: Record<string, string>;
}

export interface BuiltGateway {
  pid: number;
  httpUrl: string;
  sipPort: number;
  dataDir: string;
  /** Calls the API with the admin bearer token; throws on a non-2xx status with the body. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** Last lines the gateway wrote to stderr (its warnings and errors). */
  readonly stderr: string;
  /** SIGTERM, then SIGKILL after 5 s; removes the data dir. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Builds the gateway when dist is missing or older than its sources (apps/gateway/src, libs).
 * BENCH_SKIP_BUILD=1 uses an existing build as it is (while sources are being edited, every run would rebuild).
 */
export function ensureGatewayBuilt(): void {
  if (GATEWAY_ROOT !== ROOT) {
    // Another checkout: its build is its own business (run `npx nest build gateway` there).
    if (!existsSync(GATEWAY_ENTRY)) throw new Error(`BENCH_GATEWAY_DIR has no built gateway (${GATEWAY_ENTRY}); run npx nest build gateway there`);
    return;
  }
  if (process.env.BENCH_SKIP_BUILD === '1' && existsSync(GATEWAY_ENTRY)) return;
  const srcTime = Math.max(newestTs(join(ROOT, 'apps/gateway/src')), newestTs(join(ROOT, 'libs')));
  if (existsSync(GATEWAY_ENTRY) && statSync(GATEWAY_ENTRY).mtimeMs >= srcTime) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/@nestjs/cli/bin/nest.js'), 'build', 'gateway'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`nest build gateway failed (${r.status})`);
}

/** BENCH_GATEWAY_NODE_ARGS: extra node flags for a bench's gateway, e.g. --cpu-prof --cpu-prof-dir=/tmp/prof. */
export function gatewayNodeArgs(): string[] {
  return (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
}

/** Starts the built gateway on loopback with free SIP/HTTP ports, a fresh data dir and an RTP port range; logs in. */
export async function startBuiltGateway(o: BuiltGatewayOptions): Promise<BuiltGateway> {
  ensureGatewayBuilt();
  const dataDir = mkdtempSync(join(tmpdir(), 'gbgw-media-bench-'));
  const sipPort = await freePort();
  const httpPort = await freePort();
  // Below the kernel's ephemeral range (32768+), where other processes' sockets would collide with the pool.
  const rtpMin = 10_000 + Math.floor(Math.random() * (22_000 - o.rtpPorts));
  const child = spawn(process.execPath, [...gatewayNodeArgs(), GATEWAY_ENTRY], {
    cwd: GATEWAY_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      SIP_HOST: '127.0.0.1', SIP_PORT: String(sipPort), HTTP_HOST: '127.0.0.1', HTTP_PORT: String(httpPort), MEDIA_BIND_HOST: '127.0.0.1',
      DATA_DIR: dataDir, ADMIN_PASSWORD, SIP_PASSWORD: '', RTP_PORT_MIN: String(rtpMin), RTP_PORT_MAX: String(rtpMin + o.rtpPorts - 1),
      LOG_LEVEL: 'warn', STREAM_IDLE_TIMEOUT_MS: '600000', METRICS_PORT: '0',
      ...o.env,
    },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-6000)));
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      // ffmpeg children normally exit with the gateway (stdin closes); kill any that outlive it.
      const tree = child.pid ? processTree(child.pid).slice(1) : [];
      await stopChild(child);
      killAll(tree);
      rmSync(dataDir, { recursive: true, force: true });
    })());
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  try {
    await waitHealthy(`${httpUrl}/api/health`, child, () => stderr);
    const login = await fetch(`${httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
    if (login.status >= 300) throw new Error(`login failed: ${login.status} ${await login.text()}`);
    const token = ((await login.json()) as { accessToken: string }).accessToken;
    return {
      pid: child.pid!,
      httpUrl,
      sipPort,
      dataDir,
      get stderr() {
        return stderr;
      },
      api: async <T>(method: string, path: string, body?: unknown) => {
        const r = await fetch(`${httpUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          body: body !== undefined ? JSON.stringify(body) : undefined,
        });
        const text = await r.text();
        if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text}`);
        return (text ? JSON.parse(text) : null) as T;
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolvePort(port));
    });
  });
}

/** Newest mtime of the non-spec .ts files under dir (is a build stale?). */
export function newestTs(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestTs(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Polls the gateway's health URL until 200, failing early if the process exits. */
export async function waitHealthy(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const until = Date.now() + 90_000;
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`gateway exited (${child.exitCode ?? child.signalCode}): ${stderr()}`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`gateway not healthy within 90 s: ${stderr()}`);
}

/** SIGTERM (the gateway stops its streams and ffmpegs), SIGKILL after 5 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await closed;
  clearTimeout(t);
}
