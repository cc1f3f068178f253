import { MAX_SCORE_BOXES, type SnapshotBox, type VisionWatchMessage, type WorkerToGatewayMessage } from '@gb/contracts';

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

/** Shape check of a worker message (a score's boxes bounded by parseScoreBoxes); null for anything else. Never throws. */
export function parseWorkerMessage(v: unknown): WorkerToGatewayMessage | null {
  try {
    return checkWorkerMessage(v);
  } catch {
    return null;
  }
}

function checkWorkerMessage(v: unknown): WorkerToGatewayMessage | null {
  const m = v as Partial<WorkerToGatewayMessage> | null;
  if (!m || typeof m !== 'object') return null;
  if (m.type === 'heartbeat') return typeof m.workerId === 'string' && Array.isArray(m.channels) ? (m as WorkerToGatewayMessage) : null;
  if (typeof (m as { channelId?: unknown }).channelId !== 'string') return null;
  if (m.type === 'score') return typeof m.t === 'number' && Array.isArray(m.scores) ? { ...m, boxes: parseScoreBoxes(m.boxes) } as WorkerToGatewayMessage : null;
  if (m.type === 'status' || m.type === 'snapshot') return m as WorkerToGatewayMessage;
  return null;
}

/** Longest detection label accepted in a score's boxes (the model's class names are short: `car`, `person`). */
export const MAX_BOX_LABEL_CHARS = 32;

/**
 * The boxes of a worker's score message, made safe to keep and pass on: the first MAX_SCORE_BOXES entries only; a box
 * with a label that is not a short string or a coordinate or score that is not a finite number is dropped; coordinates
 * and score are clamped to 0–1 and a box left with no width or height is dropped. Anything but an array reads as none.
 */
export function parseScoreBoxes(v: unknown): SnapshotBox[] {
  if (!Array.isArray(v)) return [];
  const out: SnapshotBox[] = [];
  for (const raw of v.slice(0, MAX_SCORE_BOXES) as unknown[]) {
    const b = raw as Partial<Record<keyof SnapshotBox, unknown>> | null;
    if (!b || typeof b !== 'object' || typeof b.label !== 'string' || !b.label || b.label.length > MAX_BOX_LABEL_CHARS) continue;
    const n = [b.score, b.x1, b.y1, b.x2, b.y2];
    if (!n.every((x): x is number => typeof x === 'number' && Number.isFinite(x))) continue;
    const [score, x1, y1, x2, y2] = n.map((x) => Math.min(1, Math.max(0, x))) as [number, number, number, number, number];
    if (x2 <= x1 || y2 <= y1) continue;
    out.push({ label: b.label, score, x1, y1, x2, y2 });
  }
  return out;
}
