import { connect, type NatsConnection, type Subscription } from 'nats';
import type { GatewayToWorkerMessage, WorkerToGatewayMessage } from '../contracts';
import { NODE_ID_PATTERN, workerSubjects, WORKER_QUEUE_GROUP } from './vision-subjects';
import { MAX_CONTROL_MESSAGE_BYTES, parseGatewayMessage, type WorkerTransport } from './worker-transport';

/**
 * Distributed mode: watch assignments arrive on `<prefix>.vision.watch` in the queue group
 * `vision-workers`, so each reaches exactly one worker; the worker replies `{workerId}` so the gateway
 * knows who holds the channel. Snapshot requests (and unwatches of a channel the worker should not hold) come on
 * the worker's control subject. Unwatch is broadcast, on `<prefix>.vision.node.<node>.unwatch` by a gateway node
 * (the subject's node is the sender's, whatever the body says) or on `<prefix>.vision.unwatch` without one.
 * Scores, statuses, snapshots and heartbeats are published on per-channel / per-worker subjects, under
 * `<prefix>.vision.node.<node>.` when the message names its gateway node.
 */
export class NatsWorkerTransport implements WorkerTransport {
  readonly kind = 'nats' as const;
  private nc: NatsConnection | null = null;
  private readonly subs: Subscription[] = [];
  private readonly subjects: ReturnType<typeof workerSubjects>;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly workerId: string,
    prefix = 'gb',
  ) {
    this.subjects = workerSubjects(prefix);
  }

  async start(onMessage: (message: GatewayToWorkerMessage) => void): Promise<void> {
    const nc = await connect({ servers: this.url, name: `vision-worker-${this.workerId}`, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
    this.nc = nc;
    const decode = (data: Uint8Array): GatewayToWorkerMessage | null => {
      if (data.length > MAX_CONTROL_MESSAGE_BYTES) return null;
      try {
        return parseGatewayMessage(JSON.parse(Buffer.from(data).toString('utf8')));
      } catch {
        return null;
      }
    };
    this.subs.push(
      nc.subscribe(this.subjects.watch, {
        queue: WORKER_QUEUE_GROUP,
        callback: (err, msg) => {
          if (err) return;
          const m = decode(msg.data);
          if (msg.reply) msg.respond(Buffer.from(JSON.stringify(m ? { workerId: this.workerId } : { error: 'bad watch message' })));
          if (m) onMessage(m);
        },
      }),
      nc.subscribe(this.subjects.unwatch, { callback: (err, msg) => !err && forward(decode(msg.data)) }),
      nc.subscribe(this.subjects.node('*').unwatch, {
        callback: (err, msg) => {
          // <prefix>.vision.node.<node>.unwatch: the node is the token before the last.
          const node = msg.subject.split('.').at(-2) ?? '';
          const m = err || !NODE_ID_PATTERN.test(node) ? null : decode(msg.data);
          if (m?.type === 'unwatch') onMessage({ ...m, node });
        },
      }),
      nc.subscribe(this.subjects.control(this.workerId), { callback: (err, msg) => !err && forward(decode(msg.data)) }),
    );
    function forward(m: GatewayToWorkerMessage | null): void {
      if (m) onMessage(m);
    }
    await nc.flush();
  }

  send(m: WorkerToGatewayMessage): void {
    const nc = this.nc;
    if (!nc || nc.isClosed()) return;
    if (m.node !== undefined && !NODE_ID_PATTERN.test(m.node)) return;
    const s = m.node === undefined ? this.subjects : this.subjects.node(m.node);
    const subject =
      m.type === 'heartbeat' ? s.heartbeat(m.workerId)
      : m.type === 'score' ? s.score(m.channelId)
      : m.type === 'status' ? s.status(m.channelId)
      : s.snapshot(m.channelId);
    nc.publish(subject, Buffer.from(JSON.stringify(m)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const nc = this.nc;
    if (!nc || nc.isClosed()) return;
    try {
      await nc.drain();
    } catch {
      await nc.close().catch(() => undefined);
    }
  }
}
