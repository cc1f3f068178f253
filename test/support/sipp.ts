import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import * as iconv from 'iconv-lite';

/**
 * Runs sipp (Debian package sip-tester, 3.6.x) as a GB/T 28181 device against a gateway on loopback.
 * Scenarios live in test/sipp; see /work/shared/docs/sipp-notes.md for the traps they avoid.
 *
 * Every run gets its own log directory (sipp's cwd) holding the error log, the message trace, the
 * per-message counts (-trace_counts) and the statistics CSV (-trace_stat), parsed into the result.
 */

export const SIPP_SCENARIO_DIR = resolve(__dirname, '..', 'sipp');
export const PLATFORM_ID = '34020000002000000001';
export const PLATFORM_DOMAIN = '3402000000';

export interface SippDevice {
  id: string;
  password: string;
}

export interface SippOptions {
  /** A scenario name in test/sipp (`device-register`) or a path to an XML file. */
  scenario: string;
  /** The gateway's SIP address, `host:port`. */
  target: string;
  transport: 'udp' | 'tcp';
  /** Out-of-call scenario (-oocsf) answering the gateway's queries, e.g. `device-answers`. */
  ooc?: string;
  /** Re-encode the scenario files before sipp reads them: their bodies are then sent in that charset. */
  encoding?: 'gb2312';
  /** Devices written to an injection file (field0 = ID, field1 = [authentication ...]); one call per device. */
  devices?: SippDevice[];
  /** An existing injection file (-inf), instead of `devices`. */
  inject?: string;
  /** `-key` values; defaults: platform_id, domain, expires 3600, ka_count 1000000, unregister no. */
  keys?: Record<string, string | number>;
  /** Calls to run (-m); default: one per device, else 1. */
  calls?: number;
  /** Extra sipp arguments (e.g. `['-d', '300']` for the keepalive interval, `['-r', '500']`). */
  args?: string[];
  /** Kill sipp after this long (runSipp only); default 20 s. */
  timeoutMs?: number;
  /** Write every message to the trace (default true; turn off for load). */
  traceMessages?: boolean;
  /** Local SIP port; default: a free one. */
  localPort?: number;
  /** Pin sipp to these CPUs (taskset -c), e.g. '1' for load runs beside a gateway pinned to CPU 0. */
  cpus?: string;
}

export interface SippStats {
  successfulCalls: number;
  failedCalls: number;
  outOfCallMsgs: number;
  deadCallMsgs: number;
  retransmissions: number;
  failedUnexpectedMessage: number;
  failedTimeoutOnRecv: number;
  failedMaxUdpRetrans: number;
  /** Every cumulative (C) column of the last statistics row. */
  raw: Record<string, number>;
}

export interface SippResult {
  /** sipp's exit status: 0 all calls succeeded, 1 some failed, 255/254 fatal; -1 when killed by a signal. */
  code: number;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  logDir: string;
  localPort: number;
  /** The final statistics row, when sipp wrote one. */
  stats?: SippStats;
  /** Per-scenario-message counters from -trace_counts, e.g. `{ '0_REGISTER_Sent': 1, '1_401_Recv': 1 }`. */
  counts: Record<string, number>;
  /** sipp's error log (unexpected messages, retransmission timeouts, ...). */
  errors: string;
  /** The message trace (empty when traceMessages is false). */
  messages: string;
}

export interface RunningSipp {
  pid: number;
  localPort: number;
  logDir: string;
  /** Resolves when sipp exits by itself. */
  exited: Promise<SippResult>;
  /** Counters written so far (sipp rewrites them every second). */
  counts(): Record<string, number>;
  /** The message trace so far. */
  messages(): string;
  /** SIGTERM, then SIGKILL after 2 s; safe to call twice. */
  stop(): Promise<SippResult>;
}

const SIPP_MISSING = 'sipp not found: install Debian package sip-tester (apt-get install -y sip-tester)';
let sippChecked = false;
const live = new Set<ChildProcess>();
const logDirs = new Set<string>();

/** Throws with install instructions when the sipp binary is missing. */
export function assertSippInstalled(): void {
  if (sippChecked) return;
  const r = spawnSync('sipp', ['-v'], { encoding: 'utf8' });
  if (r.error) throw new Error(SIPP_MISSING);
  sippChecked = true;
}

/** Runs sipp to completion (or timeoutMs) and returns its exit status, logs and statistics. */
export async function runSipp(opts: SippOptions): Promise<SippResult> {
  const s = await startSipp(opts);
  const timeoutMs = opts.timeoutMs ?? 20_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void s.stop();
  }, timeoutMs);
  try {
    const r = await s.exited;
    return { ...r, timedOut };
  } finally {
    clearTimeout(timer);
  }
}

/** Starts sipp in the background (a long-running device); call stop() when done (or stopAllSipp in afterEach). */
export async function startSipp(opts: SippOptions): Promise<RunningSipp> {
  assertSippInstalled();
  const logDir = mkdtempSync(join(tmpdir(), 'sipp-'));
  logDirs.add(logDir);
  const localPort = opts.localPort ?? (await freePort());
  const mediaPort = await freePort({ udpPair: true });
  const controlPort = await freePort({ udpOnly: true });

  const scenario = prepareScenario(opts.scenario, logDir, opts.encoding);
  const args = [opts.target, '-sf', scenario];
  if (opts.ooc) args.push('-oocsf', prepareScenario(opts.ooc, logDir, opts.encoding));
  let calls = opts.calls ?? 1;
  if (opts.devices) {
    const inf = join(logDir, 'devices.csv');
    writeFileSync(inf, injectionFile(opts.devices));
    args.push('-inf', inf);
    calls = opts.calls ?? opts.devices.length;
  } else if (opts.inject) {
    args.push('-inf', opts.inject);
  }
  const keys: Record<string, string | number> = {
    platform_id: PLATFORM_ID,
    domain: PLATFORM_DOMAIN,
    expires: 3600,
    ka_count: 1_000_000,
    unregister: 'no',
    ...opts.keys,
  };
  for (const [k, v] of Object.entries(keys)) args.push('-key', k, String(v));
  args.push(
    '-auth_uri', `${keys.platform_id}@${keys.domain}`,
    '-i', '127.0.0.1',
    '-p', String(localPort),
    '-mp', String(mediaPort),
    '-cp', String(controlPort),
    '-t', opts.transport === 'udp' ? 'u1' : 't1',
    '-m', String(calls),
    '-nostdin',
    '-trace_err', '-error_file', join(logDir, 'errors.log'),
    '-trace_stat', '-stf', join(logDir, 'stats.csv'), '-fd', '1',
    '-trace_counts',
  );
  if (opts.traceMessages !== false) args.push('-trace_msg', '-message_file', join(logDir, 'messages.log'));
  args.push(...(opts.args ?? []));

  const [cmd, argv]: [string, string[]] = opts.cpus ? ['taskset', ['-c', opts.cpus, 'sipp', ...args]] : ['sipp', args];
  const child = spawn(cmd, argv, { cwd: logDir, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let stdout = '';
  let stderr = '';
  // The screen is redrawn every second: keep only the tail.
  child.stdout!.on('data', (d: Buffer) => (stdout = (stdout + d.toString('latin1')).slice(-20_000)));
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString('latin1')).slice(-20_000)));
  const exited = new Promise<SippResult>((done, fail) => {
    child.once('error', (e) => {
      live.delete(child);
      fail((e as NodeJS.ErrnoException).code === 'ENOENT' ? new Error(SIPP_MISSING) : e);
    });
    child.once('close', (code, signal) => {
      live.delete(child);
      done({
        code: code ?? -1,
        signal,
        timedOut: false,
        stdout,
        stderr,
        logDir,
        localPort,
        stats: readStats(join(logDir, 'stats.csv')),
        counts: readCounts(logDir),
        errors: readText(join(logDir, 'errors.log')),
        messages: readText(join(logDir, 'messages.log')),
      });
    });
  });
  let stopping: Promise<SippResult> | undefined;
  return {
    pid: child.pid ?? -1,
    localPort,
    logDir,
    exited,
    counts: () => readCounts(logDir),
    messages: () => readText(join(logDir, 'messages.log')),
    stop: () => {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), 2000);
          try {
            return await exited;
          } finally {
            clearTimeout(t);
          }
        }
        return exited;
      })();
      return stopping;
    },
  };
}

/** Kills every sipp this process started and removes their log directories (for afterEach/afterAll; SIPP_KEEP_LOGS=1 keeps them). */
export async function stopAllSipp(opts: { keepLogs?: boolean } = {}): Promise<void> {
  await Promise.all(
    [...live].map(
      (c) =>
        new Promise<void>((done) => {
          if (c.exitCode !== null || c.signalCode !== null) return done();
          c.once('close', () => done());
          c.kill('SIGTERM');
          setTimeout(() => c.kill('SIGKILL'), 2000).unref();
        }),
    ),
  );
  // SIPP_KEEP_LOGS=1 keeps them for a look after a failure.
  if (!opts.keepLogs && !process.env.SIPP_KEEP_LOGS) {
    for (const d of logDirs) rmSync(d, { recursive: true, force: true });
    logDirs.clear();
  }
}

process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** Sum of the -trace_counts columns for one method or status, e.g. `countOf(r.counts, 'REGISTER', 'Sent')`. */
export function countOf(counts: Record<string, number>, what: string, kind: 'Sent' | 'Recv' | 'Retrans' | 'Timeout' | 'Unexp'): number {
  let n = 0;
  for (const [k, v] of Object.entries(counts)) if (new RegExp(`^\\d+_${what}_${kind}$`).test(k)) n += v;
  return n;
}

/** A short diagnosis for assertion messages: exit status, stats and the error log's tail. */
export function describeSipp(r: SippResult): string {
  const s = r.stats;
  return [
    `sipp exit ${r.code}${r.signal ? ` (${r.signal})` : ''}${r.timedOut ? ' timed out' : ''}`,
    s ? `calls ok ${s.successfulCalls} failed ${s.failedCalls} unexpected ${s.failedUnexpectedMessage} recv-timeouts ${s.failedTimeoutOnRecv} retrans ${s.retransmissions}` : 'no stats',
    `errors: ${r.errors.slice(-1500)}`,
    `stderr: ${r.stderr.slice(-500)}`,
  ].join('\n');
}

/** Test device IDs: type 132 (IPC), serial n. */
export function deviceId(n: number): string {
  return `3402000000132${String(n).padStart(7, '0')}`;
}

export function injectionFile(devices: SippDevice[]): string {
  const lines = devices.map((d) => {
    if (!/^[0-9A-Za-z]+$/.test(d.id) || /[;\]\s]/.test(d.password)) throw new Error(`device ${d.id}: id or password unusable in an injection file`);
    return `${d.id};[authentication username=${d.id} password=${d.password}]`;
  });
  return `SEQUENTIAL\n${lines.join('\n')}\n`;
}

function prepareScenario(name: string, logDir: string, encoding?: 'gb2312'): string {
  const path = isAbsolute(name) || name.includes('/') ? resolve(name) : join(SIPP_SCENARIO_DIR, name.endsWith('.xml') ? name : `${name}.xml`);
  if (!existsSync(path)) throw new Error(`sipp scenario not found: ${path}`);
  if (!encoding) return path;
  // Scenarios are kept in UTF-8; sipp sends bodies byte for byte, so re-encode to put GB2312 on the wire.
  const out = join(logDir, `${basename(path, '.xml')}.${encoding}.xml`);
  writeFileSync(out, iconv.encode(readFileSync(path, 'utf8'), encoding));
  return out;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return '';
  }
}

function lastCsvRow(text: string): Record<string, string> | undefined {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2) return undefined;
  const head = lines[0]!.split(';');
  const row = lines[lines.length - 1]!.split(';');
  const out: Record<string, string> = {};
  head.forEach((h, i) => {
    if (h) out[h] = row[i] ?? '';
  });
  return out;
}

function readCounts(logDir: string): Record<string, number> {
  let file: string | undefined;
  try {
    file = readdirSync(logDir).find((f) => f.endsWith('_counts.csv'));
  } catch {
    /* removed */
  }
  const row = file ? lastCsvRow(readText(join(logDir, file))) : undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(row ?? {})) if (/^\d+_/.test(k)) out[k] = Number(v);
  return out;
}

function readStats(path: string): SippStats | undefined {
  const row = lastCsvRow(readText(path));
  if (!row) return undefined;
  const raw: Record<string, number> = {};
  for (const [k, v] of Object.entries(row)) if (k.endsWith('(C)') && /^[\d.]+$/.test(v)) raw[k.slice(0, -3)] = Number(v);
  const n = (k: string) => raw[k] ?? 0;
  return {
    successfulCalls: n('SuccessfulCall'),
    failedCalls: n('FailedCall'),
    outOfCallMsgs: n('OutOfCallMsgs'),
    deadCallMsgs: n('DeadCallMsgs'),
    retransmissions: n('Retransmissions'),
    failedUnexpectedMessage: n('FailedUnexpectedMessage'),
    failedTimeoutOnRecv: n('FailedTimeoutOnRecv'),
    failedMaxUdpRetrans: n('FailedMaxUDPRetrans'),
    raw,
  };
}

/**
 * A port free for UDP and TCP on 127.0.0.1 (sipp needs fixed ports: it has no "any free port").
 * udpPair: also port+2 free (sipp's -mp binds port and port+2). udpOnly: only UDP checked.
 */
export async function freePort(opts: { udpPair?: boolean; udpOnly?: boolean } = {}): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const udp = dgram.createSocket('udp4');
    const port = await new Promise<number>((done, fail) => {
      udp.once('error', fail);
      udp.bind(0, '127.0.0.1', () => done(udp.address().port));
    });
    const checks: Promise<boolean>[] = [];
    if (!opts.udpOnly) checks.push(tcpFree(port));
    if (opts.udpPair) checks.push(udpFree(port + 2));
    const ok = (await Promise.all(checks)).every(Boolean);
    await new Promise<void>((done) => udp.close(() => done()));
    if (ok && port < 65530) return port;
  }
  throw new Error('no free port found');
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const srv = net.createServer();
    srv.once('error', () => done(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => done(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => done(false));
    s.bind(port, '127.0.0.1', () => s.close(() => done(true)));
  });
}
