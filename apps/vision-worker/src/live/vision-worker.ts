import type { GatewayToWorkerMessage, VisionWatchMessage } from '../contracts';
import { ChannelRunner, describe } from './channel-runner';
import type { DetectorHolder } from './detector-holder';
import { ffmpegLiveFrameSource, type LiveFrameSourceFactory } from './live-frame-source';
import type { WorkerTransport } from './worker-transport';

export interface VisionWorkerOptions {
  workerId: string;
  transport: WorkerTransport;
  detectors: DetectorHolder;
  openSource?: LiveFrameSourceFactory;
  /** Heartbeat period (the gateway declares a worker dead after a few missed). Default 2000. */
  heartbeatMs?: number;
  /** Pause before reopening a failed source or retrying the model. Default 3000. */
  retryMs?: number;
  /** Most channels this worker scores at once; further watches get a status error. Default 16. */
  maxChannels?: number;
  /** Detector passes per frame (VISION_TILES): 1 = whole frame, 2 or 3 = also an n×n grid of tiles. */
  tiles?: 1 | 2 | 3;
  now?: () => number;
  log?: (line: string) => void;
}

export const DEFAULT_HEARTBEAT_MS = 2000;
export const DEFAULT_RETRY_MS = 3000;
export const DEFAULT_MAX_CHANNELS = 16;

/**
 * The live worker: one ChannelRunner per watched channel, one shared detector, heartbeats listing
 * the channels it holds. Message handling never throws; `close()` stops every channel and is safe twice.
 */
export class VisionWorker {
  private readonly runners = new Map<string, ChannelRunner>();
  private heartbeat?: NodeJS.Timeout;
  private closing: Promise<void> | null = null;
  readonly workerId: string;

  constructor(private readonly opts: VisionWorkerOptions) {
    this.workerId = opts.workerId;
  }

  get channels(): string[] {
    return [...this.runners.keys()];
  }

  runner(channelId: string): ChannelRunner | undefined {
    return this.runners.get(channelId);
  }

  async start(): Promise<void> {
    await this.opts.transport.start((m) => this.handle(m));
    this.beat();
    this.heartbeat = setInterval(() => this.beat(), this.opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    this.heartbeat.unref?.();
  }

  handle(m: GatewayToWorkerMessage): void {
    try {
      if (m.type === 'watch') this.watch(m);
      else if (m.type === 'unwatch') void this.unwatch(m.channelId);
      else void this.snapshot(m.channelId, m.requestId);
    } catch (e) {
      this.opts.log?.(`message ${m.type} for ${m.channelId} failed: ${describe(e)}`);
    }
  }

  private watch(m: VisionWatchMessage): void {
    const existing = this.runners.get(m.channelId);
    if (existing) return existing.update(m);
    if (this.runners.size >= (this.opts.maxChannels ?? DEFAULT_MAX_CHANNELS)) {
      this.opts.transport.send({ type: 'status', channelId: m.channelId, state: 'error', error: `VISION_WORKER_FULL: worker ${this.workerId} already scores ${this.runners.size} channels`, workerId: this.workerId });
      return;
    }
    const runner = new ChannelRunner(m, {
      workerId: this.workerId,
      detector: () => this.opts.detectors.get(),
      openSource: this.opts.openSource ?? ffmpegLiveFrameSource,
      emit: (out) => this.send(out),
      retryMs: this.opts.retryMs ?? DEFAULT_RETRY_MS,
      now: this.opts.now ?? Date.now,
      tiles: this.opts.tiles ?? 1,
    });
    this.runners.set(m.channelId, runner);
    this.opts.log?.(`watch ${m.channelId} (${m.rois.length} ROIs, ${m.fps} fps)`);
    runner.start();
    this.beat();
  }

  async unwatch(channelId: string): Promise<void> {
    const r = this.runners.get(channelId);
    if (!r) return;
    this.runners.delete(channelId);
    this.opts.log?.(`unwatch ${channelId}`);
    await r.stop();
    this.beat();
  }

  private async snapshot(channelId: string, requestId: string): Promise<void> {
    const r = this.runners.get(channelId);
    let jpegBase64: string | null = null;
    let error: string | undefined;
    try {
      jpegBase64 = r ? ((await r.snapshot())?.toString('base64') ?? null) : null;
      if (!r) error = `channel ${channelId} is not watched by ${this.workerId}`;
    } catch (e) {
      error = describe(e);
    }
    this.send({ type: 'snapshot', channelId, requestId, jpegBase64, ...(error ? { error } : {}) });
  }

  private beat(): void {
    if (this.closing) return;
    this.send({ type: 'heartbeat', workerId: this.workerId, channels: this.channels, modelError: this.opts.detectors.error });
  }

  private send(m: Parameters<WorkerTransport['send']>[0]): void {
    try {
      this.opts.transport.send(m);
    } catch (e) {
      this.opts.log?.(`send ${m.type} failed: ${(e as Error).message}`);
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.heartbeat);
      await Promise.all([...this.runners.values()].map((r) => r.stop()));
      this.runners.clear();
      await this.opts.detectors.close();
      await this.opts.transport.close();
    })();
    return this.closing;
  }
}
