import type { GatewayToWorkerMessage, WorkerToGatewayMessage } from '../contracts';
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
  if (m.type === 'snapshot-request') {
    const r = m as Partial<{ requestId: unknown }>;
    return typeof r.requestId === 'string' ? { type: 'snapshot-request', channelId: m.channelId, requestId: r.requestId, ...withNode } : null;
  }
  if (m.type === 'watch') {
    const w = m as Partial<Record<'deviceId' | 'sourceUrl' | 'rois' | 'fps', unknown>>;
    if (typeof w.deviceId !== 'string' || typeof w.sourceUrl !== 'string' || !Array.isArray(w.rois)) return null;
    const fps = typeof w.fps === 'number' && w.fps > 0 && w.fps <= 30 ? w.fps : 1;
    return { type: 'watch', channelId: m.channelId, deviceId: w.deviceId, sourceUrl: w.sourceUrl, rois: w.rois as never, fps, ...withNode };
  }
  return null;
}
