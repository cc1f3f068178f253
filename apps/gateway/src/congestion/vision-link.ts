import { IGNORED_REASONS, MAX_SCORE_BOXES, type DetectorChoice, type NormalisedRect, type SceneState, type SnapshotBox, type VisionWatchMessage, type WorkerToGatewayMessage } from '@gb/contracts';

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
  /** Tells the channel's worker that the camera moved (PTZ, preset call): it forgets what it learned of the scene. */
  resetScene(channelId: string): void;
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
  if (m.type === 'score') {
    if (typeof m.t !== 'number' || !Array.isArray(m.scores)) return null;
    const { scene, ...rest } = m;
    const parsed = parseScene(scene);
    return { ...rest, boxes: parseScoreBoxes(m.boxes), ...(parsed ? { scene: parsed } : {}) } as WorkerToGatewayMessage;
  }
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
    const ignored = IGNORED_REASONS.find((r) => r === b.ignored);
    out.push({ label: b.label, score, x1, y1, x2, y2, ...(ignored ? { ignored } : {}) });
  }
  return out;
}

/** Most fixture or OSD rectangles kept from one score's scene. */
export const MAX_SCENE_RECTS = 64;
/** Longest detector-choice reason kept. */
export const MAX_REASON_CHARS = 200;

/**
 * The scene state of a worker's score, made safe to keep and pass on: rectangles bounded, clamped to 0–1 and
 * non-empty; the detector choice's fields checked one by one. Anything malformed reads as no scene (null).
 */
export function parseScene(v: unknown): SceneState | null {
  const s = v as Partial<Record<keyof SceneState, unknown>> | null;
  if (!s || typeof s !== 'object') return null;
  const d = s.detector as Partial<Record<keyof DetectorChoice, unknown>> | null;
  if (!d || typeof d !== 'object') return null;
  const tiles = d.tiles === 1 || d.tiles === 2 || d.tiles === 3 ? d.tiles : null;
  const region = d.region === 'frame' || d.region === 'rois' ? d.region : null;
  const enhance = d.enhance === 'none' || d.enhance === 'clahe' ? d.enhance : null;
  const passes = typeof d.passes === 'number' && Number.isFinite(d.passes) && d.passes >= 0 && d.passes <= 100 ? d.passes : null;
  if (tiles === null || region === null || enhance === null || passes === null || typeof d.reason !== 'string') return null;
  const unit = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : null);
  return {
    fixtures: parseRects(s.fixtures),
    osd: parseRects(s.osd),
    detector: { tiles, region, enhance, passes, reason: d.reason.slice(0, MAX_REASON_CHARS), contrast: unit(d.contrast), vehicleSize: unit(d.vehicleSize) },
  };
}

function parseRects(v: unknown): NormalisedRect[] {
  if (!Array.isArray(v)) return [];
  const out: NormalisedRect[] = [];
  for (const raw of v.slice(0, MAX_SCENE_RECTS) as unknown[]) {
    const r = raw as Partial<Record<keyof NormalisedRect, unknown>> | null;
    if (!r || typeof r !== 'object') continue;
    const n = [r.x1, r.y1, r.x2, r.y2];
    if (!n.every((x): x is number => typeof x === 'number' && Number.isFinite(x))) continue;
    const [x1, y1, x2, y2] = n.map((x) => Math.min(1, Math.max(0, x))) as [number, number, number, number];
    if (x2 > x1 && y2 > y1) out.push({ x1, y1, x2, y2 });
  }
  return out;
}
