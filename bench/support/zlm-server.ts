import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild } from './built-gateway';

/** How long MediaServer may take until its HTTP API answers. */
export const ZLM_START_TIMEOUT_MS = 15_000;
/** Secret of the generated config (loopback only; the API also wants it from 127.0.0.1 in some builds). */
const SECRET = 'bench-zlm-secret';

export interface ZlmServer {
  pid: number;
  /** Opens an RTP receiver for GB28181 PS over UDP (openRtpServer, port 0 = MediaServer picks from its range); returns its port. */
  openRtpServer(streamId: string): Promise<number>;
  /** Stops MediaServer (SIGTERM, SIGKILL after 5 s) and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a ZLMediaKit MediaServer binary (BENCH_ZLM_BIN) as the media-capacity bench's second baseline, from its documented
 * command line and config: `MediaServer -c <config.ini>`; [http] port serves the REST API; [rtp_proxy] port_range is where
 * openRtpServer binds; [protocol] enables HLS only (the gateway's default output; FLV/RTSP/RTMP are muxed by ZLMediaKit
 * only on demand) and the RTSP/RTMP/RTC/SRT/shell listeners are off (port 0). Throws with a message naming the binary
 * when it is missing, not executable, exits, or does not answer its API in ZLM_START_TIMEOUT_MS.
 */
export async function startZlmServer(bin: string, httpPort: number, rtpPortRange: [number, number]): Promise<ZlmServer> {
  assertZlmBinary(bin);
  const dir = mkdtempSync(join(tmpdir(), 'zlm-bench-'));
  const config = join(dir, 'config.ini');
  writeFileSync(config, zlmConfig(dir, httpPort, rtpPortRange));
  const child = spawn(bin, ['-c', config], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let spawnError: Error | undefined;
  child.on('error', (e) => (spawnError = e));
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    })());
  const api = async <T>(path: string, params: Record<string, string | number>): Promise<T> => {
    const q = new URLSearchParams({ secret: SECRET, ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])) });
    const r = await fetch(`http://127.0.0.1:${httpPort}/index/api/${path}?${q}`);
    const body = (await r.json()) as { code: number; msg?: string } & T;
    if (body.code !== 0) throw new Error(`ZLMediaKit ${path}: code ${body.code} ${body.msg ?? ''}`);
    return body;
  };
  try {
    await waitApi(child, () => spawnError, () => stderr, () => api('getServerConfig', {}));
  } catch (e) {
    await stop();
    throw new Error(`BENCH_ZLM_BIN=${bin} did not start: ${(e as Error).message}`, { cause: e });
  }
  return {
    pid: child.pid!,
    openRtpServer: async (streamId) => (await api<{ port: number }>('openRtpServer', { port: 0, tcp_mode: 0, stream_id: streamId })).port,
    stop,
  };
}

/** Throws unless `bin` is an executable file (checked before a bench's other phases, so a typo fails in a second). */
export function assertZlmBinary(bin: string): void {
  try {
    accessSync(bin, constants.X_OK);
  } catch (e) {
    throw new Error(`BENCH_ZLM_BIN=${bin}: not an executable file (${(e as Error).message}); build ZLMediaKit's MediaServer or unset BENCH_ZLM_BIN`, { cause: e });
  }
}

async function waitApi(child: ChildProcess, spawnError: () => Error | undefined, stderr: () => string, probe: () => Promise<unknown>): Promise<void> {
  const until = performance.now() + ZLM_START_TIMEOUT_MS;
  let last: unknown;
  for (;;) {
    const e = spawnError();
    if (e) throw e;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`MediaServer exited (${child.exitCode ?? child.signalCode}): ${stderr().slice(-1000)}`);
    try {
      await probe();
      return;
    } catch (err) {
      last = err;
    }
    if (performance.now() > until) throw new Error(`its HTTP API did not answer within ${ZLM_START_TIMEOUT_MS} ms (${String(last)}): ${stderr().slice(-1000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** config.ini keys as ZLMediaKit's conf/config.ini documents them; anything not named keeps MediaServer's default. */
function zlmConfig(dir: string, httpPort: number, [rtpMin, rtpMax]: [number, number]): string {
  return [
    '[api]', 'apiDebug=0', `secret=${SECRET}`,
    '[general]', 'mediaServerId=bench', 'streamNoneReaderDelayMS=600000',
    '[hook]', 'enable=0',
    '[http]', `port=${httpPort}`, `rootPath=${join(dir, 'www')}`,
    '[hls]', 'segDur=2', 'segNum=3',
    '[protocol]', 'enable_hls=1', 'enable_rtsp=0', 'enable_rtmp=0', 'enable_ts=0', 'enable_fmp4=0', 'enable_mp4=0',
    '[rtp_proxy]', 'port=0', `port_range=${rtpMin}-${rtpMax}`,
    '[rtsp]', 'port=0', 'sslport=0',
    '[rtmp]', 'port=0', 'sslport=0',
    '[rtc]', 'port=0', 'tcpPort=0',
    '[srt]', 'port=0',
    '[shell]', 'port=0',
    '',
  ].join('\n');
}
