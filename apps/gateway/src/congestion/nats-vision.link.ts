import { connect, type NatsConnection, type Subscription } from 'nats';
import { VISION_NODE_ID_PATTERN, visionSubjects, type VisionWatchMessage, type WorkerToGatewayMessage } from '@gb/contracts';
import { MAX_WORKER_MESSAGE_BYTES, parseWorkerMessage, type VisionLink } from './vision-link';

export interface NatsLinkOptions {
  url: string;
  prefix: string;
  /**
   * This gateway node's ID (VISION_NODE_ID_PATTERN). Nodes share the workers' queue group; each hears and
   * unwatches only its own channels, on `<prefix>.vision.node.<node>.…`.
   */
  node: string;
  /** Workers' heartbeat period; a worker silent for heartbeatMs × missedHeartbeats is dead. */
  heartbeatMs: number;
  missedHeartbeats: number;
  /** How long a watch assignment may wait for a worker's reply. */
  assignTimeoutMs?: number;
  log?: (line: string) => void;
  now?: () => number;
}

interface Assignment {
  workerId: string | null;
  at: number;
  inFlight: boolean;
}

/**
 * Distributed mode. A watch is a NATS request on `<prefix>.vision.watch` to the queue group
 * `vision-workers`: exactly one worker takes it and replies with its id. Workers heartbeat their channel
 * lists; every heartbeat period the link re-assigns the channels of a worker silent for
 * `missedHeartbeats` periods (or that no longer lists a channel it was given), and tells a worker to
 * drop a channel it holds but should not (e.g. after a re-assignment raced with a slow heartbeat).
 *
 * Several gateway nodes may share the workers: every message to a worker names this link's `node`, and the
 * link listens only to `<prefix>.vision.node.<node>.{heartbeat,score,status,snapshot}.*`, where workers send
 * what concerns this node's channels (a worker's heartbeat there lists only them). So a channel another node
 * watches is never seen here, and never unwatched from here.
 */
export class NatsVisionLink implements VisionLink {
  readonly mode = 'nats' as const;
  private nc: NatsConnection | null = null;
  private readonly subs: Subscription[] = [];
  private readonly watches = new Map<string, VisionWatchMessage>();
  private readonly assignments = new Map<string, Assignment>();
  private readonly workers = new Map<string, { lastSeen: number; channels: Set<string> }>();
  private readonly subjects: ReturnType<typeof visionSubjects>;
  /** This node's subjects: what workers send about its channels, and its unwatch broadcast. */
  private readonly nodeSubjects: ReturnType<ReturnType<typeof visionSubjects>['node']>;
  private onMessage: (m: WorkerToGatewayMessage) => void = () => undefined;
  private tick?: NodeJS.Timeout;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly opts: NatsLinkOptions) {
    if (!VISION_NODE_ID_PATTERN.test(opts.node)) throw new Error(`vision link node "${opts.node}" is not a NATS subject token (${VISION_NODE_ID_PATTERN.source})`);
    this.subjects = visionSubjects(opts.prefix);
    this.nodeSubjects = this.subjects.node(opts.node);
    this.now = opts.now ?? Date.now;
  }

  async start(onMessage: (m: WorkerToGatewayMessage) => void): Promise<void> {
    this.onMessage = onMessage;
    const nc = await connect({ servers: this.opts.url, name: `gb-gateway-${this.opts.node}`, maxReconnectAttempts: -1, reconnectTimeWait: 500, waitOnFirstConnect: true });
    this.nc = nc;
    const s = this.nodeSubjects;
    const on = (subject: string) =>
      nc.subscribe(subject, {
        callback: (err, msg) => {
          if (err || msg.data.length > MAX_WORKER_MESSAGE_BYTES) return;
          let m: WorkerToGatewayMessage | null = null;
          try {
            m = parseWorkerMessage(JSON.parse(Buffer.from(msg.data).toString('utf8')));
          } catch {
            return;
          }
          if (m) this.receive(m);
        },
      });
    this.subs.push(on(s.heartbeat('*')), on(s.score('*')), on(s.status('*')), on(s.snapshot('*')));
    await nc.flush();
    this.tick = setInterval(() => this.check(), this.opts.heartbeatMs);
  }

  private receive(m: WorkerToGatewayMessage): void {
    if (m.type === 'heartbeat') {
      this.workers.set(m.workerId, { lastSeen: this.now(), channels: new Set(m.channels) });
      for (const ch of m.channels) {
        const a = this.assignments.get(ch);
        if (!a || (a.workerId !== null && a.workerId !== m.workerId)) this.publish(this.subjects.control(m.workerId), { type: 'unwatch', channelId: ch, node: this.opts.node });
      }
    } else if (m.type === 'score' || m.type === 'status') {
      const a = this.assignments.get(m.channelId);
      // Drop late messages from a worker the channel was taken from.
      const from = m.type === 'status' ? m.workerId : undefined;
      if (!a || (from && a.workerId && from !== a.workerId)) return;
    }
    this.onMessage(m);
  }

  /** Re-assigns channels of dead workers, and channels still waiting for one. */
  private check(): void {
    const now = this.now();
    const deadline = this.opts.heartbeatMs * this.opts.missedHeartbeats;
    for (const [id, w] of this.workers) {
      if (now - w.lastSeen <= deadline) continue;
      this.workers.delete(id);
      // A worker that no longer holds channels of this node stops heartbeating to it: not worth a line.
      if (w.channels.size > 0) this.opts.log?.(`vision worker ${id} missed ${this.opts.missedHeartbeats} heartbeats; moving its channels`);
    }
    for (const [ch, a] of this.assignments) {
      if (a.inFlight) continue;
      const w = a.workerId ? this.workers.get(a.workerId) : undefined;
      // A worker heartbeats to this node only while it holds (or just held) channels of it: one not heard since the
      // assignment is lost only after the same deadline as a silent one.
      const lost = a.workerId !== null && (w ? w.lastSeen - a.at > 2 * this.opts.heartbeatMs && !w.channels.has(ch) : now - a.at > deadline);
      if (a.workerId === null || lost) {
        if (lost) this.onMessage({ type: 'status', channelId: ch, state: 'starting', error: `worker ${a.workerId} lost; re-assigning` });
        this.assign(ch);
      }
    }
  }

  private assign(channelId: string): void {
    const nc = this.nc;
    const w = this.watches.get(channelId);
    if (!nc || !w || this.closed) return;
    const a: Assignment = { workerId: null, at: this.now(), inFlight: true };
    this.assignments.set(channelId, a);
    nc.request(this.subjects.watch, Buffer.from(JSON.stringify(w)), { timeout: this.opts.assignTimeoutMs ?? 2000 }).then(
      (reply) => {
        a.inFlight = false;
        if (this.assignments.get(channelId) !== a) return;
        try {
          const r = JSON.parse(Buffer.from(reply.data).toString('utf8')) as { workerId?: string };
          a.workerId = r.workerId ?? null;
          a.at = this.now();
        } catch {
          /* left unassigned: retried next tick */
        }
      },
      (e: Error) => {
        a.inFlight = false;
        if (this.assignments.get(channelId) !== a) return;
        this.onMessage({ type: 'status', channelId, state: 'error', error: `VISION_NO_WORKER: no vision worker took the channel (${e.message}); retrying` });
      },
    );
  }

  watch(watch: VisionWatchMessage): void {
    const m: VisionWatchMessage = { ...watch, node: this.opts.node };
    this.watches.set(m.channelId, m);
    const a = this.assignments.get(m.channelId);
    if (a?.workerId) this.publish(this.subjects.control(a.workerId), m);
    else if (!a?.inFlight) this.assign(m.channelId);
  }

  unwatch(channelId: string): void {
    this.watches.delete(channelId);
    this.assignments.delete(channelId);
    this.publish(this.nodeSubjects.unwatch, { type: 'unwatch', channelId, node: this.opts.node });
  }

  requestSnapshot(channelId: string, requestId: string): void {
    const id = this.assignments.get(channelId)?.workerId;
    if (id) this.publish(this.subjects.control(id), { type: 'snapshot-request', channelId, requestId, node: this.opts.node });
  }

  resetScene(channelId: string): void {
    const id = this.assignments.get(channelId)?.workerId;
    if (id) this.publish(this.subjects.control(id), { type: 'scene-reset', channelId, node: this.opts.node });
  }

  workerOf(channelId: string): string | null {
    return this.assignments.get(channelId)?.workerId ?? null;
  }

  private publish(subject: string, m: object): void {
    const nc = this.nc;
    if (nc && !nc.isClosed()) nc.publish(subject, Buffer.from(JSON.stringify(m)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.tick);
    const nc = this.nc;
    if (!nc || nc.isClosed()) return;
    for (const ch of this.watches.keys()) this.publish(this.nodeSubjects.unwatch, { type: 'unwatch', channelId: ch, node: this.opts.node });
    await nc.drain().catch(() => nc.close());
  }
}
