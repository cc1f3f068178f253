import type { GatewayToWorkerMessage, WorkerToGatewayMessage } from '../contracts';

/** How a worker hears from and talks to the gateway: IPC to its parent (embedded) or NATS (distributed). */
export interface WorkerTransport {
  readonly kind: 'ipc' | 'nats' | 'memory';
  start(onMessage: (message: GatewayToWorkerMessage) => void): Promise<void>;
  send(message: WorkerToGatewayMessage): void;
  /** Safe twice. */
  close(): Promise<void>;
}

/** Largest message accepted from the gateway (a watch with many ROIs is a few KB). */
export const MAX_CONTROL_MESSAGE_BYTES = 256 * 1024;

/** Checks the shape of a gateway message; null for anything else (ignored, never thrown). */
export function parseGatewayMessage(value: unknown): GatewayToWorkerMessage | null {
  const m = value as Partial<GatewayToWorkerMessage> | null;
  if (!m || typeof m !== 'object' || typeof m.channelId !== 'string' || m.channelId.length === 0 || m.channelId.length > 64) return null;
  if (m.type === 'unwatch') return { type: 'unwatch', channelId: m.channelId };
  if (m.type === 'snapshot-request') {
    const r = m as Partial<{ requestId: unknown }>;
    return typeof r.requestId === 'string' ? { type: 'snapshot-request', channelId: m.channelId, requestId: r.requestId } : null;
  }
  if (m.type === 'watch') {
    const w = m as Partial<Record<'deviceId' | 'sourceUrl' | 'rois' | 'fps', unknown>>;
    if (typeof w.deviceId !== 'string' || typeof w.sourceUrl !== 'string' || !Array.isArray(w.rois)) return null;
    const fps = typeof w.fps === 'number' && w.fps > 0 && w.fps <= 30 ? w.fps : 1;
    return { type: 'watch', channelId: m.channelId, deviceId: w.deviceId, sourceUrl: w.sourceUrl, rois: w.rois as never, fps };
  }
  return null;
}
