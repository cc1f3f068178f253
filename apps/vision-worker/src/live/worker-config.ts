import { hostname } from 'node:os';
import { resolveModelPath } from '../model/model-path';
import { OnnxDetector } from '../model/onnx-detector';
import { DetectorHolder } from './detector-holder';
import { IpcWorkerTransport } from './ipc-worker.transport';
import { NatsWorkerTransport } from './nats-worker.transport';
import { DEFAULT_HEARTBEAT_MS, DEFAULT_MAX_CHANNELS, DEFAULT_RETRY_MS, VisionWorker } from './vision-worker';
import type { WorkerTransport } from './worker-transport';

/** The worker's environment, read once at start. */
export interface WorkerConfig {
  workerId: string;
  /** Set = distributed mode over NATS; unset = embedded (IPC to the parent gateway). */
  natsUrl: string | null;
  natsPrefix: string;
  /** Explicit model path (VISION_MODEL); null = shared dev copy, else DATA_DIR/models. */
  modelPath: string | null;
  heartbeatMs: number;
  retryMs: number;
  maxChannels: number;
  /** VISION_TILES: detector passes per frame: 1, 2 or 3 fixed for every channel; unset or anything else = 'auto' (chosen per channel). */
  tiles: 1 | 2 | 3 | 'auto';
  /** VISION_THREADS: onnxruntime intra-op threads of the worker's one session (default 1). */
  threads: number;
  /** METRICS_ENABLED: anything but 'false' serves Prometheus metrics on METRICS_HOST:METRICS_PORT. */
  metricsEnabled: boolean;
  /** METRICS_HOST, default 127.0.0.1 (no login on the listener: loopback unless a firewall or proxy guards it). */
  metricsHost: string;
  /** METRICS_PORT, default 9465 (the gateway's is 9464); 0 = any free port. */
  metricsPort: number;
}

/** Most onnxruntime intra-op threads VISION_THREADS may ask for. */
export const MAX_VISION_THREADS = 64;

/** The worker's default metrics port, next to the gateway's 9464. */
export const DEFAULT_METRICS_PORT = 9465;

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const int = (key: string, dflt: number): number => {
    const v = Number(env[key]);
    return Number.isInteger(v) && v > 0 ? v : dflt;
  };
  return {
    workerId: env.VISION_WORKER_ID || `${hostname()}-${process.pid}`,
    natsUrl: env.NATS_URL || null,
    natsPrefix: env.VISION_NATS_PREFIX || 'gb',
    modelPath: env.VISION_MODEL || null,
    heartbeatMs: int('VISION_HEARTBEAT_MS', DEFAULT_HEARTBEAT_MS),
    retryMs: int('VISION_RETRY_MS', DEFAULT_RETRY_MS),
    maxChannels: int('VISION_MAX_CHANNELS', DEFAULT_MAX_CHANNELS),
    tiles: env.VISION_TILES === '1' ? 1 : env.VISION_TILES === '2' ? 2 : env.VISION_TILES === '3' ? 3 : 'auto',
    threads: Math.min(MAX_VISION_THREADS, int('VISION_THREADS', 1)),
    metricsEnabled: env.METRICS_ENABLED !== 'false',
    metricsHost: env.METRICS_HOST || '127.0.0.1',
    metricsPort: metricsPortOf(env.METRICS_PORT),
  };
}

/** METRICS_PORT: unset or empty = DEFAULT_METRICS_PORT; otherwise 0-65535, or the worker does not start. */
function metricsPortOf(v: string | undefined): number {
  if (v === undefined || v === '') return DEFAULT_METRICS_PORT;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new Error(`METRICS_PORT must be a port number 0-65535 (0 = any free port), got ${JSON.stringify(v)}`);
  return n;
}

/** Builds the worker for a config: NATS when a URL is given, else IPC to the parent process. */
export function createVisionWorker(cfg: WorkerConfig, opts: { onParentGone?: () => void; log?: (line: string) => void } = {}): VisionWorker {
  const transport: WorkerTransport = cfg.natsUrl
    ? new NatsWorkerTransport(cfg.natsUrl, cfg.workerId, cfg.natsPrefix)
    : new IpcWorkerTransport(process, opts.onParentGone);
  const detectors = new DetectorHolder(() => OnnxDetector.load(resolveModelPath(cfg.modelPath ?? undefined), { intraOpThreads: cfg.threads }), cfg.retryMs);
  return new VisionWorker({ workerId: cfg.workerId, transport, detectors, heartbeatMs: cfg.heartbeatMs, retryMs: cfg.retryMs, maxChannels: cfg.maxChannels, tiles: cfg.tiles, log: opts.log });
}
