import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type RunningGateway } from '../../apps/gateway/src/bootstrap';
import type { GatewayLoggerOptions } from '../../apps/gateway/src/logging';

export interface TestGateway extends RunningGateway {
  dataDir: string;
  env: Record<string, string>;
  /** Logs in as admin and returns fetch headers with the bearer token. */
  auth(): Promise<Record<string, string>>;
  api<T = unknown>(path: string, init?: RequestInit): Promise<{ status: number; body: T }>;
  /** Stops the gateway and removes its data dir (unless keepData). */
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

export const TEST_ADMIN_PASSWORD = 'test-admin-password';

/**
 * Starts a real gateway in this process on 127.0.0.1 with ephemeral SIP and HTTP ports and an embedded database
 * in a temp dir (or DATABASE_URL if given in env). Pass the same dataDir to restart over the same data.
 */
export async function startTestGateway(env: Record<string, string> = {}, dataDir?: string, logOptions?: GatewayLoggerOptions): Promise<TestGateway> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'gbgw-'));
  // A fresh data dir starts from the migrated template made in test/global-setup.ts (skips PGlite's initdb).
  const template = process.env.GB_TEST_DB_TEMPLATE;
  if (!env.DATABASE_URL && template && !existsSync(join(dir, 'pgdata'))) cpSync(join(template, 'pgdata'), join(dir, 'pgdata'), { recursive: true });
  const fullEnv: Record<string, string> = {
    SIP_HOST: '127.0.0.1',
    SIP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    // Several gateways run in one process and files run in parallel: no fixed metrics port.
    METRICS_PORT: '0',
    DATA_DIR: dir,
    ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...env,
  };
  const gw = await startGateway(fullEnv, logOptions);
  // One login at a time: concurrent first calls share it (the gateway allows one login in progress per address).
  let token: Promise<string> | undefined;
  const auth = async () => {
    token ??= (async () => {
      const r = await fetch(`${gw.httpUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: fullEnv.ADMIN_PASSWORD }),
      });
      if (r.status !== 200 && r.status !== 201) throw new Error(`login failed: ${r.status} ${await r.text()}`);
      return ((await r.json()) as { accessToken: string }).accessToken;
    })().catch((e: unknown) => {
      token = undefined;
      throw e;
    });
    return { authorization: `Bearer ${await token}` };
  };
  return {
    ...gw,
    dataDir: dir,
    env: fullEnv,
    auth,
    api: async <T>(path: string, init: RequestInit = {}) => {
      const headers = { ...(await auth()), ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string>) };
      const r = await fetch(`${gw.httpUrl}${path}`, { ...init, headers });
      const text = await r.text();
      return { status: r.status, body: (text ? JSON.parse(text) : null) as T };
    },
    stop: async (opts) => {
      await gw.close();
      if (!opts?.keepData && !dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a truthy value or the time runs out (then throws with `what`). */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 10_000, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
