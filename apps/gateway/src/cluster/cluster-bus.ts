import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { connect, type Msg, type NatsConnection, type Subscription } from 'nats';
import type { GatewayEvent } from '@gb/contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { EventBus } from '../events/event-bus';

/** An HTTP request handed to the node that owns its device. Bodies are base64. */
export interface ForwardedRequest {
  method: string;
  /** Path and query, e.g. /api/devices/…/play?x=1. */
  url: string;
  headers: Record<string, string>;
  body: string | null;
  /** NODE_ID of the node that received it from the client. */
  from: string;
}

export interface ForwardedReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Largest event relayed between nodes (a device.registered DTO is ~1 KB). */
export const MAX_CLUSTER_EVENT_BYTES = 64 * 1024;
/** Most device IDs named in one release notice (the rest are found by the owner check on the next heartbeat). */
export const MAX_RELEASE_IDS = 10_000;
/** Room kept for the reply's JSON envelope below the server's max_payload. */
const ENVELOPE_BYTES = 4096;

type ReleaseListener = (deviceIds: string[], by: string) => void;

/**
 * Node-to-node messages over NATS (only with NATS_URL): requests forwarded to a device's owner
 * (`<prefix>.cluster.http.<node>`, request/reply), every node's events for every node's WebSocket clients
 * (`<prefix>.cluster.events`), and "these devices registered with me" notices to the node they left
 * (`<prefix>.cluster.released.<node>`). Without NATS_URL it is disabled and the gateway is one node.
 */
@Injectable()
export class ClusterBus implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger('cluster');
  private nc: NatsConnection | null = null;
  private readonly subs: Subscription[] = [];
  private readonly releaseListeners = new Set<ReleaseListener>();
  private unsubscribeEvents?: () => void;
  private readonly prefix: string;
  readonly nodeId: string;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    @Inject(EventBus) private readonly events: EventBus,
  ) {
    this.prefix = cfg.CLUSTER_NATS_PREFIX;
    this.nodeId = cfg.NODE_ID;
  }

  get enabled(): boolean {
    return this.nc !== null && !this.nc.isClosed();
  }

  /** Bytes a forwarded reply may carry (the NATS server's max_payload less an envelope). */
  get maxReplyBytes(): number {
    return Math.max(64 * 1024, (this.nc?.info?.max_payload ?? 1024 * 1024) - ENVELOPE_BYTES);
  }

  async onModuleInit(): Promise<void> {
    if (!this.cfg.NATS_URL) return;
    const nc = await connect({ servers: this.cfg.NATS_URL, name: `gb-gateway-${this.nodeId}`, maxReconnectAttempts: -1, reconnectTimeWait: 500, waitOnFirstConnect: true });
    this.nc = nc;
    this.subs.push(
      nc.subscribe(`${this.prefix}.cluster.events`, { callback: (err, msg) => !err && this.onEvent(msg) }),
      nc.subscribe(`${this.prefix}.cluster.released.${this.nodeId}`, { callback: (err, msg) => !err && this.onReleased(msg) }),
    );
    // Local events go to every other node's WebSocket clients; remote ones are never relayed again.
    this.unsubscribeEvents = this.events.subscribe((e) => this.publish(`${this.prefix}.cluster.events`, { from: this.nodeId, event: e }));
    await nc.flush();
    this.log.log(`node ${this.nodeId} joined the cluster on NATS (prefix ${this.prefix})`);
  }

  private onEvent(msg: Msg): void {
    if (msg.data.length > MAX_CLUSTER_EVENT_BYTES) return;
    const m = decode(msg.data) as { from?: unknown; event?: Partial<GatewayEvent> } | null;
    if (!m || m.from === this.nodeId || typeof m.from !== 'string' || !m.event || typeof m.event.type !== 'string' || typeof m.event.at !== 'string') return;
    this.events.deliverRemote({ ...(m.event as GatewayEvent), node: m.from });
  }

  private onReleased(msg: Msg): void {
    const m = decode(msg.data) as { by?: unknown; deviceIds?: unknown } | null;
    if (!m || typeof m.by !== 'string' || !Array.isArray(m.deviceIds)) return;
    const ids = m.deviceIds.filter((x): x is string => typeof x === 'string').slice(0, MAX_RELEASE_IDS);
    for (const l of this.releaseListeners) l(ids, m.by);
  }

  /** Called with device IDs another node took (they registered there). */
  onRelease(listener: ReleaseListener): () => void {
    this.releaseListeners.add(listener);
    return () => this.releaseListeners.delete(listener);
  }

  /** Tells `node` these devices registered here now; it drops them and ends their streams with BYE. */
  notifyReleased(node: string, deviceIds: string[]): void {
    for (let i = 0; i < deviceIds.length; i += MAX_RELEASE_IDS) {
      this.publish(`${this.prefix}.cluster.released.${node}`, { by: this.nodeId, deviceIds: deviceIds.slice(i, i + MAX_RELEASE_IDS) });
    }
  }

  /** Serves requests other nodes forward to this one; resolves once the server has the subscription. */
  async serve(handler: (r: ForwardedRequest) => Promise<ForwardedReply>): Promise<void> {
    const nc = this.nc;
    if (!nc) return;
    this.subs.push(
      nc.subscribe(`${this.prefix}.cluster.http.${this.nodeId}`, {
        callback: (err, msg) => {
          if (err || !msg.reply) return;
          const r = decode(msg.data) as ForwardedRequest | null;
          if (!r || typeof r.method !== 'string' || typeof r.url !== 'string' || !r.url.startsWith('/')) {
            msg.respond(encode(errorReply(400, 'VALIDATION_FAILED', 'malformed forwarded request')));
            return;
          }
          handler(r).then(
            (reply) => msg.respond(encode(reply.body.length > this.maxReplyBytes ? errorReply(502, 'NODE_REPLY_TOO_LARGE', `the answer of node ${this.nodeId} is ${reply.body.length} bytes as base64, more than one NATS message carries`, { publicUrl: this.cfg.PUBLIC_URL ?? null }) : reply)),
            (e: Error) => msg.respond(encode(errorReply(502, 'NODE_UNAVAILABLE', `node ${this.nodeId} failed the forwarded request: ${e.message}`))),
          );
        },
      }),
    );
    await nc.flush();
  }

  /** Forwards a request to `node`; a dead or silent node becomes a NODE_UNAVAILABLE reply (never a throw). */
  async forward(node: string, r: ForwardedRequest): Promise<ForwardedReply> {
    const nc = this.nc;
    if (!nc || nc.isClosed()) return errorReply(503, 'NODE_UNAVAILABLE', `device is owned by node ${node}, and this node is not connected to NATS`, { node });
    try {
      const msg = await nc.request(`${this.prefix}.cluster.http.${node}`, encode(r), { timeout: this.cfg.CLUSTER_REQUEST_TIMEOUT_MS });
      const reply = decode(msg.data) as ForwardedReply | null;
      if (!reply || typeof reply.status !== 'number' || typeof reply.body !== 'string') return errorReply(502, 'NODE_UNAVAILABLE', `node ${node} sent a malformed reply`, { node });
      return reply;
    } catch (e) {
      const why = (e as { code?: string }).code === '503' ? 'is not running (no responder)' : `did not answer within ${this.cfg.CLUSTER_REQUEST_TIMEOUT_MS} ms`;
      return errorReply(503, 'NODE_UNAVAILABLE', `node ${node}, which owns this device, ${why}`, { node });
    }
  }

  private publish(subject: string, m: object): void {
    const nc = this.nc;
    if (nc && !nc.isClosed()) nc.publish(subject, encode(m));
  }

  async onApplicationShutdown(): Promise<void> {
    this.unsubscribeEvents?.();
    const nc = this.nc;
    this.nc = null;
    if (!nc || nc.isClosed()) return;
    await nc.drain().catch(() => nc.close());
  }
}

export function errorReply(status: number, code: string, message: string, details?: Record<string, unknown>): ForwardedReply {
  const body = JSON.stringify({ statusCode: status, code, message, ...(details ? { details } : {}) });
  return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: Buffer.from(body).toString('base64') };
}

function encode(v: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(v));
}

function decode(data: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return null;
  }
}
