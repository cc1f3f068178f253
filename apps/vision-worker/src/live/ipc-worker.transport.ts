import type { GatewayToWorkerMessage, WorkerToGatewayMessage } from '../contracts';
import { parseGatewayMessage, type WorkerTransport } from './worker-transport';

/**
 * Embedded mode: the gateway forked this process; messages travel over the Node IPC channel
 * (`process.send` / 'message'). When the parent goes away the worker has no reason to live:
 * `onDisconnect` is called (main.ts closes the worker and exits).
 */
export class IpcWorkerTransport implements WorkerTransport {
  readonly kind = 'ipc' as const;
  private listener?: (m: unknown) => void;
  private closed = false;

  constructor(
    private readonly proc: NodeJS.Process = process,
    private readonly onDisconnect: () => void = () => undefined,
  ) {}

  async start(onMessage: (message: GatewayToWorkerMessage) => void): Promise<void> {
    if (!this.proc.send) throw new Error('IPC transport needs a forked process (no process.send)');
    this.listener = (raw: unknown) => {
      const m = parseGatewayMessage(raw);
      if (m) onMessage(m);
    };
    this.proc.on('message', this.listener);
    this.proc.once('disconnect', this.onDisconnect);
  }

  send(message: WorkerToGatewayMessage): void {
    if (this.closed || !this.proc.connected) return;
    this.proc.send!(message, undefined, {}, () => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.listener) this.proc.off('message', this.listener);
  }
}
