import type { VisionWatchMessage, WorkerToGatewayMessage } from '@gb/contracts';

/**
 * The gateway's side of the worker protocol. Implementations: EmbeddedVisionLink (a forked worker over
 * IPC) and NatsVisionLink (a pool of workers in a NATS queue group). A link remembers the watches it was
 * given and re-sends them to a restarted or replacement worker by itself.
 */
export interface VisionLink {
  readonly mode: 'embedded' | 'nats';
  start(onMessage: (m: WorkerToGatewayMessage) => void): Promise<void>;
  /** Starts or updates scoring of a channel. */
  watch(m: VisionWatchMessage): void;
  unwatch(channelId: string): void;
  /** Asks the channel's worker for a snapshot; the answer comes back as a `snapshot` message. */
  requestSnapshot(channelId: string, requestId: string): void;
  /** Which worker holds the channel now, null while unassigned. */
  workerOf(channelId: string): string | null;
  /** Safe twice. */
  close(): Promise<void>;
}

/** Largest worker message accepted (a snapshot JPEG of a 640-wide frame is ~50 KB as base64). */
export const MAX_WORKER_MESSAGE_BYTES = 4 * 1024 * 1024;

/** Shape check of a worker message; null for anything else. */
export function parseWorkerMessage(v: unknown): WorkerToGatewayMessage | null {
  const m = v as Partial<WorkerToGatewayMessage> | null;
  if (!m || typeof m !== 'object') return null;
  if (m.type === 'heartbeat') return typeof m.workerId === 'string' && Array.isArray(m.channels) ? (m as WorkerToGatewayMessage) : null;
  if (typeof (m as { channelId?: unknown }).channelId !== 'string') return null;
  if (m.type === 'score') return typeof m.t === 'number' && Array.isArray(m.scores) ? (m as WorkerToGatewayMessage) : null;
  if (m.type === 'status' || m.type === 'snapshot') return m as WorkerToGatewayMessage;
  return null;
}
