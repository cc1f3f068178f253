import type { ExclusionZone, GatewayToWorkerMessage, NormalisedPoint, WorkerToGatewayMessage } from '../contracts';
import { NODE_ID_PATTERN } from './vision-subjects';

/** How a worker hears from and talks to the gateway: IPC to its parent (embedded) or NATS (distributed). */
export interface WorkerTransport {
  readonly kind: 'ipc' | 'nats' | 'memory';
  start(onMessage: (message: GatewayToWorkerMessage) => void): Promise<void>;
  /** A message with a `node` goes to that gateway node (NATS: its subjects); IPC has one gateway and ignores it. */
  send(message: WorkerToGatewayMessage): void;
  /** Safe twice. */
  close(): Promise<void>;
}

/** Largest message accepted from the gateway (a watch with many ROIs is a few KB). */
export const MAX_CONTROL_MESSAGE_BYTES = 256 * 1024;

/**
 * Checks the shape of a gateway message; null for anything else (ignored, never thrown). A `node` that is not a
 * NODE_ID_PATTERN token makes the whole message invalid (it would name subjects).
 */
export function parseGatewayMessage(value: unknown): GatewayToWorkerMessage | null {
  const m = value as Partial<GatewayToWorkerMessage> | null;
  if (!m || typeof m !== 'object' || typeof m.channelId !== 'string' || m.channelId.length === 0 || m.channelId.length > 64) return null;
  const node = (m as { node?: unknown }).node;
  if (node !== undefined && (typeof node !== 'string' || !NODE_ID_PATTERN.test(node))) return null;
  const withNode = node === undefined ? {} : { node };
  if (m.type === 'unwatch') return { type: 'unwatch', channelId: m.channelId, ...withNode };
  if (m.type === 'scene-reset') return { type: 'scene-reset', channelId: m.channelId, ...withNode };
  if (m.type === 'snapshot-request') {
    const r = m as Partial<{ requestId: unknown }>;
    return typeof r.requestId === 'string' ? { type: 'snapshot-request', channelId: m.channelId, requestId: r.requestId, ...withNode } : null;
  }
  if (m.type === 'watch') {
    const w = m as Partial<Record<'deviceId' | 'sourceUrl' | 'rois' | 'fps' | 'exclusions', unknown>>;
    if (typeof w.deviceId !== 'string' || typeof w.sourceUrl !== 'string' || !Array.isArray(w.rois)) return null;
    const fps = typeof w.fps === 'number' && w.fps > 0 && w.fps <= 30 ? w.fps : 1;
    const exclusions = parseExclusions(w.exclusions);
    if (exclusions === null) return null;
    return { type: 'watch', channelId: m.channelId, deviceId: w.deviceId, sourceUrl: w.sourceUrl, rois: w.rois as never, fps, ...(exclusions.length ? { exclusions } : {}), ...withNode };
  }
  return null;
}

/** Most exclusion zones per channel and points per zone a watch may carry (the gateway's own bounds). */
export const MAX_EXCLUSION_ZONES = 16;
export const MAX_EXCLUSION_POINTS = 64;

/**
 * A watch's exclusion zones: absent reads as none; anything malformed (not an array, too many zones or points, a point
 * outside 0–1 or not a finite number, an id that is not a short string) makes the watch invalid (null).
 */
export function parseExclusions(v: unknown): ExclusionZone[] | null {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.length > MAX_EXCLUSION_ZONES) return null;
  const out: ExclusionZone[] = [];
  for (const raw of v as unknown[]) {
    const z = raw as Partial<Record<keyof ExclusionZone, unknown>> | null;
    if (!z || typeof z !== 'object' || typeof z.id !== 'string' || z.id.length === 0 || z.id.length > 64) return null;
    if (!Array.isArray(z.polygon) || z.polygon.length < 3 || z.polygon.length > MAX_EXCLUSION_POINTS) return null;
    const polygon: NormalisedPoint[] = [];
    for (const p of z.polygon as unknown[]) {
      if (!Array.isArray(p) || p.length !== 2) return null;
      const [x, y] = p as unknown[];
      if (typeof x !== 'number' || typeof y !== 'number' || !(x >= 0 && x <= 1 && y >= 0 && y <= 1)) return null;
      polygon.push([x, y]);
    }
    out.push({ id: z.id, polygon });
  }
  return out;
}
