// Issue #16: a bad-credential REGISTER flood against the built gateway. Offered and answered rates, answers per gateway
// CPU-second, gateway RSS (peak and final) and log bytes during the flood, and whether 50 real devices stay online.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceFleet } from '../apps/device-sim/src';
import type { BenchResult } from './bench-result';
import { GATEWAY_ENTRY, GATEWAY_ROOT, ensureGatewayBuilt, freePort, gatewayNodeArgs, stopChild, waitHealthy } from './support/built-gateway';
import { CLOCK_TICKS_PER_S, cpuTicks, loadAverage, rssKb } from './support/proc-stats';

/**
 * Layout on the 2-core machine: the gateway pinned to CPU 0, the flooder (bench/support/register-flooder.ts, its own
 * node process) pinned to CPU 1 with FLOOD_SOCKETS source ports on 127.0.0.1, and 50 simulated devices
 * (apps/device-sim) in this process on 127.0.0.2, so a per-source-host limit on the flooder is not also one on them.
 * Devices keep alive every 5 s and the gateway marks one offline after 3 missed (15 s): a starved registrar shows up
 * as devices going offline within the flood.
 *
 * The gateway logs at its default level (info, JSON lines); every byte it writes to stdout and stderr is counted.
 * BENCH_GATEWAY_DIR runs another checkout's build (before/after comparisons); FLOOD_SECONDS shortens the flood.
 */
const GROUP = 'sip flood';
const FLOOD_SECONDS = Number(process.env.FLOOD_SECONDS ?? 30);
const FLOOD_SOCKETS = Number(process.env.FLOOD_SOCKETS ?? 256);
const DEVICES = 50;
const PASSWORD = 'bench-flood-password';
const DEVICE_HOST = '127.0.0.2';
const KEEPALIVE_S = 5;
/** Pause after the flood before devices are counted again: 3 missed keepalives (offline) plus a re-registration. */
const RECOVERY_S = 4 * KEEPALIVE_S;
/** Issue #16: the gateway stays under 600 MB RSS while flooded. */
const TARGET_RSS_MB = 600;
const FLOODER = join(__dirname, 'support/register-flooder.ts');

interface FlooderReport {
  seconds: number;
  sockets: number;
  sent: number;
  answeredDuringFlood: number;
  answered: number;
  skipped: number;
  statuses: Record<string, number>;
}

export async function run(): Promise<BenchResult[]> {
  ensureGatewayBuilt();
  const load0 = loadAverage();
  const dataDir = mkdtempSync(join(tmpdir(), 'gbgw-flood-bench-'));
  const sipPort = await freePort();
  const httpPort = await freePort();
  const gw = spawn('taskset', ['-c', '0', process.execPath, ...gatewayNodeArgs(), GATEWAY_ENTRY], {
    cwd: GATEWAY_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      SIP_HOST: '127.0.0.1', SIP_PORT: String(sipPort), HTTP_HOST: '127.0.0.1', HTTP_PORT: String(httpPort),
      DATA_DIR: dataDir, SIP_PASSWORD: PASSWORD, ADMIN_PASSWORD: 'bench-admin-password',
      KEEPALIVE_INTERVAL_S: String(KEEPALIVE_S), KEEPALIVE_MAX_MISSED: '3',
      LOG_LEVEL: 'info', LOG_FORMAT: 'json', VISION_EMBEDDED: 'false', METRICS_PORT: '0',
    },
  });
  let logBytes = 0;
  let stderr = '';
  gw.stdout!.on('data', (d: Buffer) => (logBytes += d.length));
  gw.stderr!.on('data', (d: Buffer) => {
    logBytes += d.length;
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let fleet: DeviceFleet | undefined;
  let flooder: ChildProcess | undefined;
  try {
    const httpUrl = `http://127.0.0.1:${httpPort}`;
    await waitHealthy(`${httpUrl}/api/health`, gw, () => stderr);
    const token = await login(httpUrl);
    fleet = new DeviceFleet({
      count: DEVICES, ratePerSecond: 25, firstDeviceId: '34020000001320000001', channelsPerDevice: 2,
      serverHost: '127.0.0.1', serverPort: sipPort, serverId: '34020000002000000001', domain: '3402000000', password: PASSWORD,
      transport: 'udp', localHost: DEVICE_HOST, expires: 3600, keepaliveSeconds: KEEPALIVE_S, charset: 'GB2312', catalogPerMessage: 2,
      manufacturer: 'bench', model: 'flood-bench', firmware: '1', retryDelayMs: 2000,
    });
    fleet.on('error', () => undefined);
    await fleet.start();
    await sleep(3000); // their DeviceInfo and Catalog queries settle
    const onlineBefore = await onlineDevices(httpUrl, token);
    if (onlineBefore < DEVICES) throw new Error(`only ${onlineBefore} of ${DEVICES} devices online before the flood: ${stderr}`);

    const rssBefore = rssKb(gw.pid!) ?? 0;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssKb(gw.pid!) ?? 0)), 250);
    // The window is the flood itself: from the flooder's "flooding" line to its "stopped" line.
    let ticks0 = 0;
    let t0 = 0;
    let ka0 = fleet.stats();
    let logBefore = logBytes;
    let ticks1 = 0;
    let t1 = 0;
    let rssEnd = 0;
    let ka1 = ka0;
    let logFlood = 0;
    const f = fleet;
    const report = await runFlooder(sipPort, (p) => (flooder = p), (phase) => {
      if (phase === 'flooding') {
        ticks0 = cpuTicks(gw.pid!) ?? 0;
        t0 = performance.now();
        ka0 = f.stats();
        logBefore = logBytes;
      } else {
        ticks1 = cpuTicks(gw.pid!) ?? 0;
        t1 = performance.now();
        rssEnd = rssKb(gw.pid!) ?? 0;
        ka1 = f.stats();
        logFlood = logBytes - logBefore;
      }
    });
    const wallS = (t1 - t0) / 1000;
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, rssEnd);
    // Keepalives the devices send right after the flood tell whether the gateway is still answering them.
    await sleep(1000);
    const onlineAfter = await onlineDevices(httpUrl, token);
    const simOnline = fleet.stats().online;
    // Recovery: long enough after the flood for a device whose keepalives were refused to have been marked offline
    // and for the simulator to have registered it again.
    await sleep(RECOVERY_S * 1000);
    const onlineRecovered = await onlineDevices(httpUrl, token);
    const simRecovered = fleet.stats();

    const cpuS = (ticks1 - ticks0) / CLOCK_TICKS_PER_S;
    const offered = report.sent / report.seconds;
    const answered = report.answeredDuringFlood / report.seconds;
    const statuses = Object.entries(report.statuses).map(([k, v]) => `${k}×${v}`).join(', ') || 'none';
    const kaSent = ka1.keepalivesSent - ka0.keepalivesSent;
    const kaAnswered = ka1.keepalivesAnswered - ka0.keepalivesAnswered;
    const where = `${report.sockets} source ports on CPU 1, gateway on CPU 0; ${GATEWAY_ROOT === join(__dirname, '..') ? 'this checkout' : 'BENCH_GATEWAY_DIR build'}; load ${load0} -> ${loadAverage()}`;
    return [
      { group: GROUP, name: 'offered bad-digest REGISTERs/s (one flooder core)', value: Math.round(offered), unit: 'req/s', note: `${report.sent} sent in ${report.seconds.toFixed(1)} s; ${report.skipped} skipped for a full socket queue; ${where}` },
      { group: GROUP, name: 'answered REGISTERs/s (responses received)', value: Math.round(answered), unit: 'resp/s', better: 'lower', note: `${report.answeredDuringFlood} answered during the flood, ${report.answered} with 1 s of stragglers; statuses ${statuses}` },
      { group: GROUP, name: 'gateway CPU-seconds during the flood', value: round2(cpuS), unit: 'cpu-s', better: 'lower', note: `${Math.round((100 * cpuS) / wallS)}% of a core over ${wallS.toFixed(1)} s` },
      { group: GROUP, name: 'flood requests answered per gateway CPU-second', value: Math.round(report.answeredDuringFlood / Math.max(cpuS, 0.01)), unit: 'resp/cpu-s', note: `offered per gateway CPU-second ${Math.round(report.sent / Math.max(cpuS, 0.01))}` },
      { group: GROUP, name: 'gateway RSS peak during the flood', value: Math.round(rssPeak / 1024), unit: 'MB', better: 'lower', target: TARGET_RSS_MB, note: `VmRSS sampled every 250 ms; ${Math.round(rssBefore / 1024)} MB before the flood` },
      { group: GROUP, name: 'gateway RSS at the end of the flood', value: Math.round(rssEnd / 1024), unit: 'MB', better: 'lower', target: TARGET_RSS_MB },
      { group: GROUP, name: 'gateway RSS growth over the flood (peak - before)', value: Math.round((rssPeak - rssBefore) / 1024), unit: 'MB', better: 'lower', note: 'the idle gateway\'s RSS (embedded PGlite included) is the figure before the flood' },
      { group: GROUP, name: 'log bytes written during the flood', value: logFlood, unit: 'bytes', better: 'lower', note: `LOG_LEVEL=info LOG_FORMAT=json, stdout + stderr; ${logBytes} bytes since start` },
      { group: GROUP, name: `real devices online at the end (of ${DEVICES})`, value: onlineAfter, unit: 'devices', target: DEVICES, note: `gateway API view, 1 s after the flood; simulator: ${simOnline} registered, ${kaAnswered} of ${kaSent} keepalives answered during the flood; keepalive ${KEEPALIVE_S} s, offline after 3 missed` },
      { group: GROUP, name: `real devices online ${RECOVERY_S} s after the flood (of ${DEVICES})`, value: onlineRecovered, unit: 'devices', target: DEVICES, note: `simulator: ${simRecovered.online} registered, ${simRecovered.keepalivesAnswered - ka1.keepalivesAnswered} of ${simRecovered.keepalivesSent - ka1.keepalivesSent} keepalives answered since the flood; gateway log ${logBytes} bytes by then` },
    ];
  } finally {
    if (flooder && flooder.exitCode === null) flooder.kill('SIGKILL');
    await fleet?.stop({ unregister: false }).catch(() => undefined);
    await stopChild(gw);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Runs the flooder on CPU 1 for FLOOD_SECONDS; resolves with its final report. */
function runFlooder(sipPort: number, started: (p: ChildProcess) => void, onPhase: (phase: 'flooding' | 'stopped') => void): Promise<FlooderReport> {
  return new Promise((resolveReport, reject) => {
    const p = spawn('taskset', ['-c', '1', process.execPath, '--import', 'tsx', FLOODER], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FLOOD_PORT: String(sipPort), FLOOD_HOST: '127.0.0.1', FLOOD_SECONDS: String(FLOOD_SECONDS), FLOOD_SOCKETS: String(FLOOD_SOCKETS) },
    });
    started(p);
    let out = '';
    let err = '';
    let seen = 0;
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      for (let nl = out.indexOf('\n', seen); nl >= 0; nl = out.indexOf('\n', seen)) {
        const line = out.slice(seen, nl);
        seen = nl + 1;
        if (line.includes('"phase"')) onPhase((JSON.parse(line) as { phase: 'flooding' | 'stopped' }).phase);
      }
    });
    p.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    p.once('error', reject);
    p.once('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      try {
        const r = JSON.parse(last) as FlooderReport & { done?: boolean };
        if (r.done) return resolveReport(r);
      } catch {
        /* reported below */
      }
      reject(new Error(`flooder exited ${code} without a report: ${err}`));
    });
  });
}

async function login(httpUrl: string): Promise<string> {
  const r = await fetch(`${httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'bench-admin-password' }) });
  if (r.status >= 300) throw new Error(`login failed: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { accessToken: string }).accessToken;
}

/** Devices the gateway reports online (GET /api/devices). */
async function onlineDevices(httpUrl: string, token: string): Promise<number> {
  const r = await fetch(`${httpUrl}/api/devices`, { headers: { authorization: `Bearer ${token}` } });
  if (r.status >= 300) throw new Error(`GET /api/devices: ${r.status} ${await r.text()}`);
  const body = (await r.json()) as { online: boolean }[] | { items: { online: boolean }[] };
  const list = Array.isArray(body) ? body : body.items;
  return list.filter((d) => d.online).length;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
