import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChannelEntity, WatchEntity, type Database } from '@gb/persistence';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { DATABASE } from '../database/database.providers';
import { DevicesService } from '../devices/devices.service';
import { ClusterBus, errorReply, type ForwardedReply, type ForwardedRequest } from './cluster-bus';
import { clusterTargetOf, type ClusterTarget } from './cluster-routes';
import { NodesService } from './nodes.service';

/** Header marking a request another node forwarded: it is answered here, never forwarded again. */
export const FORWARDED_BY_HEADER = 'x-gb-forwarded-by';
/** Request headers carried to the owner. */
const REQUEST_HEADERS = ['authorization', 'content-type', 'accept', 'accept-language'] as const;
/** Response headers carried back. */
const REPLY_HEADERS = ['content-type', 'content-disposition', 'retry-after', 'cache-control', 'www-authenticate', 'location'] as const;

type Req = IncomingMessage & { body?: unknown; originalUrl?: string };
type Verify = (authorization: string | undefined) => Promise<unknown>;

/**
 * Any node serves the whole API. An Express middleware (after the body parsers, before Nest's router) sends a
 * request about another node's device to that node over NATS and writes its answer back unchanged; lists of
 * per-node state (streams, watched channels, downloads) are gathered from every live node. The owner runs the
 * request through its own HTTP stack on loopback, so its guards, validation and errors apply as if the client
 * had called it. Without NATS (one node) the middleware passes everything through.
 */
@Injectable()
export class ClusterForwarder implements OnApplicationBootstrap {
  private readonly log = new Logger('cluster');

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(ClusterBus) private readonly bus: ClusterBus,
    @Inject(NodesService) private readonly nodes: NodesService,
    @Inject(DevicesService) private readonly devices: DevicesService,
    @Inject(HttpAdapterHost) private readonly http: HttpAdapterHost,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.bus.serve((r) => this.runLocally(r));
  }

  /** The middleware; `verify` checks the bearer token first (a request without a valid one is left to the guard's 401). */
  middleware(verify: Verify) {
    return (req: Req, res: ServerResponse, next: (err?: unknown) => void): void => {
      const url = req.originalUrl ?? req.url ?? '/';
      if (!this.bus.enabled || req.headers[FORWARDED_BY_HEADER] !== undefined) return next();
      const target = clusterTargetOf(req.method ?? 'GET', url);
      if (!target) return next();
      this.handle(target, req, url, verify).then(
        (reply) => (reply ? write(res, reply) : next()),
        (e: Error) => {
          this.log.error(`forwarding ${req.method} ${url.split('?')[0]} failed: ${e.message}`);
          next();
        },
      );
    };
  }

  private async handle(target: ClusterTarget, req: Req, url: string, verify: Verify): Promise<ForwardedReply | null> {
    try {
      await verify(req.headers.authorization);
    } catch {
      return null;
    }
    const request = this.requestOf(req, url);
    if (target.kind === 'gather') return this.gather(request);
    if (target.kind === 'download') return this.findDownload(request);
    const node = await this.nodeFor(target);
    if (!node || node === this.nodes.nodeId) return null;
    return this.bus.forward(node, request);
  }

  /** The node a request belongs to: the owner of its device, or the node that raised an alert. Null = here. */
  private async nodeFor(target: ClusterTarget): Promise<string | null> {
    if (target.kind === 'device') return this.devices.ownerOf(target.deviceId);
    if (target.kind === 'alert') {
      const a = await this.db.alerts.get(target.alertId).catch(() => null);
      return a?.nodeId ?? null;
    }
    if (target.kind === 'channel') {
      const watch = await this.db.dataSource.getRepository(WatchEntity).findOneBy({ channelId: target.channelId });
      const deviceId = watch?.deviceId ?? (await this.db.dataSource.getRepository(ChannelEntity).findOneBy({ channelId: target.channelId }))?.deviceId;
      return deviceId ? this.devices.ownerOf(deviceId) : null;
    }
    return null;
  }

  /** GET of a per-node list: every live node's array (this node's first), concatenated. */
  private async gather(request: ForwardedRequest): Promise<ForwardedReply | null> {
    const others = await this.nodes.aliveOthers();
    if (others.length === 0) return null;
    const replies = await Promise.all([this.runLocally(request), ...others.map((n) => this.bus.forward(n.nodeId, request))]);
    const local = replies[0]!;
    if (local.status !== 200) return local;
    const merged: unknown[] = [];
    for (const r of replies) {
      if (r.status !== 200) continue; // a node that did not answer is left out of the list, not an error for the whole
      const v = parseJson(r.body);
      if (Array.isArray(v)) merged.push(...(v as unknown[]));
    }
    return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: Buffer.from(JSON.stringify(merged)).toString('base64') };
  }

  /** Downloads live on the node that recorded them: this one, else the first live node that knows the id. */
  private async findDownload(request: ForwardedRequest): Promise<ForwardedReply> {
    const local = await this.runLocally(request);
    if (local.status !== 404) return local;
    for (const n of await this.nodes.aliveOthers()) {
      const r = await this.bus.forward(n.nodeId, request);
      if (r.status !== 404 && r.status !== 503) return r;
    }
    return local;
  }

  private requestOf(req: Req, url: string): ForwardedRequest {
    const headers: Record<string, string> = {};
    for (const h of REQUEST_HEADERS) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD' && req.body !== undefined && (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined);
    const body = hasBody ? Buffer.from(typeof req.body === 'string' ? req.body : JSON.stringify(req.body)).toString('base64') : null;
    return { method: req.method ?? 'GET', url, headers, body, from: this.nodes.nodeId };
  }

  /** Runs a request against this node's own HTTP server (loopback), marked as forwarded. */
  async runLocally(r: ForwardedRequest): Promise<ForwardedReply> {
    const server = this.http.httpAdapter?.getHttpServer() as { address(): AddressInfo | string | null } | undefined;
    const addr = server?.address();
    if (!addr || typeof addr === 'string') return errorReply(503, 'NODE_UNAVAILABLE', `node ${this.nodes.nodeId} is not listening yet`);
    const host = addr.address === '0.0.0.0' || addr.address === '::' ? '127.0.0.1' : addr.address.includes(':') ? `[${addr.address}]` : addr.address;
    const res = await fetch(`http://${host}:${addr.port}${r.url}`, {
      method: r.method,
      headers: { ...r.headers, [FORWARDED_BY_HEADER]: r.from },
      body: r.body === null ? undefined : Buffer.from(r.body, 'base64'),
      redirect: 'manual',
      signal: AbortSignal.timeout(this.cfg.CLUSTER_REQUEST_TIMEOUT_MS),
    });
    const headers: Record<string, string> = {};
    for (const h of REPLY_HEADERS) {
      const v = res.headers.get(h);
      if (v !== null) headers[h] = v;
    }
    return { status: res.status, headers, body: Buffer.from(await res.arrayBuffer()).toString('base64') };
  }
}

function write(res: ServerResponse, reply: ForwardedReply): void {
  res.statusCode = reply.status;
  for (const [k, v] of Object.entries(reply.headers)) res.setHeader(k, v);
  res.end(Buffer.from(reply.body, 'base64'));
}

function parseJson(base64: string): unknown {
  try {
    return JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
  } catch {
    return null;
  }
}
