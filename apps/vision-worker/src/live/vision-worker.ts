import type { GatewayToWorkerMessage, VisionWatchMessage } from '../contracts';
import { ChannelRunner, describe } from './channel-runner';
import type { DetectorHolder } from './detector-holder';
import { ffmpegLiveFrameSource, type LiveFrameSourceFactory } from './live-frame-source';
import type { WorkerTransport } from './worker-transport';

export interface VisionWorkerOptions {
  workerId: string;
  transport: WorkerTransport;
  detectors: DetectorHolder;
  openSource?: LiveFrameSourceFactory;
  /** Heartbeat period (the gateway declares a worker dead after a few missed). Default 2000. */
  heartbeatMs?: number;
  /** Pause before reopening a failed source or retrying the model. Default 3000. */
  retryMs?: number;
  /** Most channels this worker scores at once; further watches get a status error. Default 16. */
  maxChannels?: number;
  /** Detector passes per frame (VISION_TILES): 1 = whole frame, 2 or 3 = also an n×n grid of tiles. */
  tiles?: 1 | 2 | 3 | 'auto';
  now?: () => number;
  log?: (line: string) => void;
}

export const DEFAULT_HEARTBEAT_MS = 2000;
export const DEFAULT_RETRY_MS = 3000;
export const DEFAULT_MAX_CHANNELS = 16;
/**
 * Most gateway nodes a worker remembers: nodes it holds channels for (a watch from one more is refused with
 * VISION_WORKER_FULL), and, separately, nodes whose last channel just left (the oldest is forgotten first).
 */
export const MAX_REMEMBERED_NODES = 256;
/** Periodic heartbeats (empty) a node still gets after its last channel left, so that it sees the channel gone. */
export const NODE_LINGER_HEARTBEATS = 3;

/** A channel the worker scores, and the gateway node it belongs to (undefined: none, the shared subjects). */
interface HeldChannel {
  runner: ChannelRunner;
  node: string | undefined;
}

/** `{ node }` when there is one, so that messages without a node stay exactly as before nodes. */
const withNode = (node: string | undefined): { node?: string } => (node === undefined ? {} : { node });

/**
 * The live worker: one ChannelRunner per watched channel, one shared detector, heartbeats listing
 * the channels it holds. Message handling never throws; `close()` stops every channel and is safe twice.
 *
 * Gateway nodes: each channel belongs to the node of its latest watch (none in embedded mode and for gateways
 * before nodes). Its scores, statuses and snapshots carry that node, and the transport sends them there. Each node
 * gets its own heartbeat listing only its channels (and a few empty ones after its last channel left); the
 * heartbeat without a node lists the channels without one and is always sent. An unwatch or snapshot request
 * naming a node acts only on a channel of that node or of none; one without a node acts on any channel.
 */
export class VisionWorker {
  private readonly held = new Map<string, HeldChannel>();
  /** Node -> periodic heartbeats it still gets without channels. Insertion order = age. */
  private readonly lingering = new Map<string, number>();
  private heartbeat?: NodeJS.Timeout;
  private closing: Promise<void> | null = null;
  readonly workerId: string;

  constructor(private readonly opts: VisionWorkerOptions) {
    this.workerId = opts.workerId;
  }

  get channels(): string[] {
    return [...this.held.keys()];
  }

  runner(channelId: string): ChannelRunner | undefined {
    return this.held.get(channelId)?.runner;
  }

  /** The gateway node a held channel belongs to; undefined without one (or when not held). */
  nodeOf(channelId: string): string | undefined {
    return this.held.get(channelId)?.node;
  }

  async start(): Promise<void> {
    await this.opts.transport.start((m) => this.handle(m));
    this.beat(false);
    this.heartbeat = setInterval(() => this.beat(true), this.opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    this.heartbeat.unref?.();
  }

  handle(m: GatewayToWorkerMessage): void {
    try {
      if (m.type === 'watch') this.watch(m);
      else if (m.type === 'unwatch') void this.unwatch(m.channelId, m.node);
      else if (m.type === 'scene-reset') this.held.get(m.channelId)?.runner.resetScene();
      else void this.snapshot(m.channelId, m.requestId, m.node);
    } catch (e) {
      this.opts.log?.(`message ${m.type} for ${m.channelId} failed: ${describe(e)}`);
    }
  }

  private watch(m: VisionWatchMessage): void {
    const existing = this.held.get(m.channelId);
    if (existing) {
      const from = existing.node;
      existing.runner.update(m);
      if (from === m.node) return;
      existing.node = m.node;
      this.opts.log?.(`channel ${m.channelId} moves from node ${from ?? '(none)'} to ${m.node ?? '(none)'}`);
      if (m.node !== undefined) this.lingering.delete(m.node);
      if (from !== undefined) this.left(from);
      this.beat(false);
      return;
    }
    const refuse = (why: string) => this.send({ type: 'status', channelId: m.channelId, state: 'error', error: `VISION_WORKER_FULL: ${why}`, workerId: this.workerId, ...withNode(m.node) });
    if (this.held.size >= (this.opts.maxChannels ?? DEFAULT_MAX_CHANNELS)) return refuse(`worker ${this.workerId} already scores ${this.held.size} channels`);
    if (m.node !== undefined && !this.holdsFor(m.node) && this.nodesHeld().size >= MAX_REMEMBERED_NODES) {
      return refuse(`worker ${this.workerId} already scores channels of ${MAX_REMEMBERED_NODES} gateway nodes`);
    }
    const entry: HeldChannel = {
      node: m.node,
      runner: new ChannelRunner(m, {
        workerId: this.workerId,
        detector: () => this.opts.detectors.get(),
        openSource: this.opts.openSource ?? ffmpegLiveFrameSource,
        // The node is read at send time: a watch from another node moves the channel's messages there.
        emit: (out) => this.send({ ...out, ...withNode(entry.node) }),
        retryMs: this.opts.retryMs ?? DEFAULT_RETRY_MS,
        now: this.opts.now ?? Date.now,
        tiles: this.opts.tiles ?? 'auto',
      }),
    };
    this.held.set(m.channelId, entry);
    if (m.node !== undefined) this.lingering.delete(m.node);
    this.opts.log?.(`watch ${m.channelId}${m.node === undefined ? '' : ` for node ${m.node}`} (${m.rois.length} ROIs, ${m.fps} fps)`);
    entry.runner.start();
    this.beat(false);
  }

  /** Stops a channel; with `node`, only when the channel belongs to that node (or to none). */
  async unwatch(channelId: string, node?: string): Promise<void> {
    const h = this.held.get(channelId);
    if (!h) return;
    if (!heeds(h, node)) {
      this.opts.log?.(`unwatch ${channelId} from node ${node} ignored: the channel belongs to node ${h.node}`);
      return;
    }
    this.held.delete(channelId);
    this.opts.log?.(`unwatch ${channelId}`);
    if (h.node !== undefined) this.left(h.node);
    await h.runner.stop();
    this.beat(false);
  }

  private async snapshot(channelId: string, requestId: string, node: string | undefined): Promise<void> {
    const h = this.held.get(channelId);
    const r = h && heeds(h, node) ? h.runner : undefined;
    let jpegBase64: string | null = null;
    let error: string | undefined;
    try {
      jpegBase64 = r ? ((await r.snapshot())?.toString('base64') ?? null) : null;
      if (!r) error = `channel ${channelId} is not watched by ${this.workerId}${node === undefined ? '' : ` for node ${node}`}`;
    } catch (e) {
      error = describe(e);
    }
    // The answer goes to the node that asked.
    this.send({ type: 'snapshot', channelId, requestId, jpegBase64, ...(error ? { error } : {}), ...withNode(node) });
  }

  private holdsFor(node: string): boolean {
    for (const h of this.held.values()) if (h.node === node) return true;
    return false;
  }

  private nodesHeld(): Set<string> {
    const nodes = new Set<string>();
    for (const h of this.held.values()) if (h.node !== undefined) nodes.add(h.node);
    return nodes;
  }

  /** A channel of `node` left: when it was the node's last, the node keeps getting empty heartbeats for a while. */
  private left(node: string): void {
    if (this.holdsFor(node)) return;
    this.lingering.delete(node);
    if (this.lingering.size >= MAX_REMEMBERED_NODES) this.lingering.delete(this.lingering.keys().next().value!);
    this.lingering.set(node, NODE_LINGER_HEARTBEATS);
  }

  /** One heartbeat per node held or lingering, and the one without a node. `periodic`: the timer's beat (counts down lingering). */
  private beat(periodic: boolean): void {
    if (this.closing) return;
    const byNode = new Map<string | undefined, string[]>([[undefined, []]]);
    for (const [ch, h] of this.held) {
      const list = byNode.get(h.node);
      if (list) list.push(ch);
      else byNode.set(h.node, [ch]);
    }
    for (const [node, left] of this.lingering) {
      if (byNode.has(node)) {
        this.lingering.delete(node);
        continue;
      }
      byNode.set(node, []);
      if (!periodic) continue;
      if (left <= 1) this.lingering.delete(node);
      else this.lingering.set(node, left - 1);
    }
    const modelError = this.opts.detectors.error;
    for (const [node, channels] of byNode) this.send({ type: 'heartbeat', workerId: this.workerId, channels, modelError, ...withNode(node) });
  }

  private send(m: Parameters<WorkerTransport['send']>[0]): void {
    try {
      this.opts.transport.send(m);
    } catch (e) {
      this.opts.log?.(`send ${m.type} failed: ${(e as Error).message}`);
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.heartbeat);
      await Promise.all([...this.held.values()].map((h) => h.runner.stop()));
      this.held.clear();
      this.lingering.clear();
      await this.opts.detectors.close();
      await this.opts.transport.close();
    })();
    return this.closing;
  }
}

/** Whether a message from `node` may act on a held channel: no node (today's behaviour), or the channel's own node or none. */
function heeds(h: HeldChannel, node: string | undefined): boolean {
  return node === undefined || h.node === undefined || h.node === node;
}
