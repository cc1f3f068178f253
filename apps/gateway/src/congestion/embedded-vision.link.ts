import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { VisionWatchMessage, WorkerToGatewayMessage } from '@gb/contracts';
import { parseWorkerMessage, type VisionLink } from './vision-link';

export interface EmbeddedLinkOptions {
  /** Environment of the worker (VISION_MODEL, DATA_DIR, VISION_HEARTBEAT_MS…), merged over process.env. */
  env: Record<string, string | undefined>;
  /** Worker entry: a built main.js, or main.ts (run with tsx). Default: resolveWorkerEntry(). */
  entry?: string;
  /** Pause before restarting a worker that exited. */
  restartMs?: number;
  log?: (line: string) => void;
}

export const EMBEDDED_WORKER_ID = 'embedded';

/**
 * Where the worker's entry is: the built one next to the built gateway
 * (dist/apps/vision-worker/apps/vision-worker/src/main.js), else the TypeScript source run with tsx
 * (development and tests). VISION_WORKER_ENTRY overrides both.
 */
export function resolveWorkerEntry(cwd = process.cwd()): string {
  const built = resolve(__dirname, '../../../../../vision-worker/apps/vision-worker/src/main.js');
  if (__filename.endsWith('.js') && existsSync(built)) return built;
  const src = resolve(__dirname, '../../../vision-worker/src/main.ts');
  if (existsSync(src)) return src;
  return resolve(cwd, 'apps/vision-worker/src/main.ts');
}

/**
 * Embedded mode: the worker runs as a child process of the gateway (fork, Node IPC). A separate process
 * keeps onnxruntime's native threads and ffmpeg pipes off the gateway's event loop, and a crash there
 * cannot take SIP down. Forked on the first watch; a worker that exits is restarted after `restartMs`
 * and given every watch again.
 */
export class EmbeddedVisionLink implements VisionLink {
  readonly mode = 'embedded' as const;
  private child: ChildProcess | null = null;
  private readonly watches = new Map<string, VisionWatchMessage>();
  private onMessage: (m: WorkerToGatewayMessage) => void = () => undefined;
  private closed = false;
  private restartTimer?: NodeJS.Timeout;
  /** Worker processes forked so far (0 until the first watch). */
  starts = 0;

  constructor(private readonly opts: EmbeddedLinkOptions) {}

  /** The worker process is forked on the first watch: a gateway that scores nothing runs no worker. */
  async start(onMessage: (m: WorkerToGatewayMessage) => void): Promise<void> {
    this.onMessage = onMessage;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private spawn(): void {
    if (this.closed) return;
    const entry = this.opts.entry ?? process.env.VISION_WORKER_ENTRY ?? resolveWorkerEntry();
    const execArgv = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
    const env = { ...process.env, ...this.opts.env, VISION_WORKER_ID: EMBEDDED_WORKER_ID, NATS_URL: '' };
    const child = fork(entry, [], { execArgv, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    this.child = child;
    this.starts++;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      for (const line of s.split('\n')) if (line.trim()) this.opts.log?.(line.trim().slice(0, 2000));
    });
    let greeted = false;
    child.on('message', (raw) => {
      const m = parseWorkerMessage(raw);
      if (!m) return;
      // The first heartbeat says the worker is listening: (re)send what it should score.
      if (m.type === 'heartbeat' && !greeted) {
        greeted = true;
        for (const w of this.watches.values()) this.send(w);
      }
      this.onMessage(m);
    });
    child.on('error', (e) => this.opts.log?.(`vision worker process error: ${e.message}`));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      if (this.closed) return;
      this.opts.log?.(`vision worker exited (${signal ?? code}); restarting in ${this.opts.restartMs ?? 2000} ms`);
      for (const channelId of this.watches.keys()) {
        this.onMessage({ type: 'status', channelId, state: 'error', error: `VISION_WORKER_EXITED: the vision worker process exited (${signal ?? code}); restarting` });
      }
      this.restartTimer = setTimeout(() => this.spawn(), this.opts.restartMs ?? 2000);
    });
  }

  private send(m: object): void {
    const c = this.child;
    if (c?.connected) c.send(m, undefined, {}, () => undefined);
  }

  watch(m: VisionWatchMessage): void {
    this.watches.set(m.channelId, m);
    if (this.starts === 0) this.spawn(); // sends the watches on the worker's first heartbeat
    else this.send(m);
  }

  unwatch(channelId: string): void {
    this.watches.delete(channelId);
    this.send({ type: 'unwatch', channelId });
  }

  requestSnapshot(channelId: string, requestId: string): void {
    this.send({ type: 'snapshot-request', channelId, requestId });
  }

  resetScene(channelId: string): void {
    this.send({ type: 'scene-reset', channelId });
  }

  workerOf(channelId: string): string | null {
    return this.watches.has(channelId) && this.child ? EMBEDDED_WORKER_ID : null;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.restartTimer);
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    // Closing the IPC channel tells the worker to stop its channels and exit; SIGKILL if it lingers.
    if (c.connected) c.disconnect();
    else c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  }
}
