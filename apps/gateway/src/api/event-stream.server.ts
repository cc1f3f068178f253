import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { GatewayEvent } from '@gb/contracts';
import { AuthService } from '../auth/auth.service';
import { bearerTokenFromUpgrade } from '../auth/bearer-token';
import { EventBus, type NodeEvent } from '../events/event-bus';
import { rejectUpgrade, type UpgradeRoute } from './upgrade-router';

export const EVENT_STREAM_PATH = '/api/events';

export interface EventStreamOptions {
  /** A client whose unsent data exceeds this is dropped (it cannot keep up). */
  maxBufferedBytes: number;
  /** Most simultaneous event-stream clients; further upgrades get 503. */
  maxClients: number;
  /** Largest frame a client may send us (we read none; this bounds what ws buffers). */
  maxInboundBytes: number;
  /** Ping period; a client that has not answered the previous ping is dropped. */
  pingIntervalMs: number;
}

export const DEFAULT_EVENT_STREAM_OPTIONS: Readonly<EventStreamOptions> = {
  maxBufferedBytes: 1024 * 1024,
  maxClients: 1000,
  maxInboundBytes: 4096,
  pingIntervalMs: 30_000,
};

/** Optional provider token to override DEFAULT_EVENT_STREAM_OPTIONS (partially). */
export const EVENT_STREAM_OPTIONS = Symbol('EVENT_STREAM_OPTIONS');

/** WebSocket close codes (RFC 6455 §7.4.2 private range) sent to clients. */
export const CLOSE_TOKEN_EXPIRED = 4001;
export const CLOSE_SERVER_SHUTDOWN = 1001;

interface ClientState {
  alive: boolean;
  expiryTimer: NodeJS.Timeout;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Pushes every EventBus event to authenticated WebSocket clients at /api/events as JSON `{type, at, data}`.
 * A plain `ws` server in noServer mode: the HTTP `upgrade` (routed here by routeUpgrades(), at the edge) is checked for
 * a token (header or `?access_token=`) before the handshake, so an unauthenticated client gets a plain 401 and never a socket.
 */
@Injectable()
export class EventStreamServer implements OnModuleDestroy {
  private readonly logger = new Logger('EventStreamServer');
  private readonly options: EventStreamOptions;
  private readonly wss: WebSocketServer;
  private readonly clients = new Map<WebSocket, ClientState>();
  private server?: Server;
  private unsubscribe?: () => void;
  private pingTimer?: NodeJS.Timeout;
  private pendingUpgrades = 0;
  private closed = false;
  /** Clients dropped for exceeding maxBufferedBytes, since start. */
  droppedSlowClients = 0;

  constructor(
    @Inject(EventBus) private readonly bus: EventBus,
    @Inject(AuthService) private readonly auth: AuthService,
    @Optional() @Inject(EVENT_STREAM_OPTIONS) options?: Partial<EventStreamOptions>,
  ) {
    this.options = { ...DEFAULT_EVENT_STREAM_OPTIONS, ...options };
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.options.maxInboundBytes, clientTracking: false });
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** The /api/events upgrades, for routeUpgrades() on the HTTP server. */
  readonly upgradeRoute: UpgradeRoute = {
    matches: (pathname) => pathname === EVENT_STREAM_PATH || pathname === `${EVENT_STREAM_PATH}/`,
    handle: (req, socket, head) => void this.authorize(req, socket, head),
  };

  /** Starts publishing to clients of `server` (its upgrades arrive through upgradeRoute). Idempotent for the same server. */
  attach(server: Server): void {
    if (this.closed) throw new Error('EventStreamServer is closed');
    if (this.server === server) return;
    if (this.server) throw new Error('EventStreamServer is already attached to another server');
    this.server = server;
    this.unsubscribe = this.bus.subscribeAll((e) => this.broadcast(e));
    this.pingTimer = setInterval(() => this.pingAll(), this.options.pingIntervalMs);
    this.pingTimer.unref();
  }

  /** Closes every client, stops listening for upgrades and unsubscribes. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    if (this.pingTimer) clearInterval(this.pingTimer);
    for (const ws of [...this.clients.keys()]) {
      ws.close(CLOSE_SERVER_SHUTDOWN, 'server shutting down');
      ws.terminate();
    }
    this.clients.clear();
    this.wss.close();
  }

  onModuleDestroy(): void {
    this.close();
  }

  private async authorize(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (this.closed) return rejectUpgrade(socket, 503, 'SERVICE_UNAVAILABLE', 'The event stream is closed');
    if (this.clients.size + this.pendingUpgrades >= this.options.maxClients) {
      rejectUpgrade(socket, 503, 'SERVICE_UNAVAILABLE', 'Too many event-stream clients');
      return;
    }
    this.pendingUpgrades++;
    let exp: number;
    try {
      exp = (await this.auth.verify(bearerTokenFromUpgrade(req))).exp;
    } catch (err) {
      rejectUpgrade(socket, 401, 'UNAUTHORIZED', err instanceof Error ? err.message : 'Unauthorized');
      return;
    } finally {
      this.pendingUpgrades--;
    }
    if (this.closed || socket.destroyed) {
      socket.destroy();
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.addClient(ws, exp));
  }

  private addClient(ws: WebSocket, exp: number): void {
    if (this.closed) {
      ws.terminate();
      return;
    }
    const expiryTimer = setTimeout(() => ws.close(CLOSE_TOKEN_EXPIRED, 'token expired'), Math.min(MAX_TIMER_MS, Math.max(0, exp * 1000 - Date.now())));
    expiryTimer.unref();
    const state: ClientState = { alive: true, expiryTimer };
    this.clients.set(ws, state);
    ws.on('pong', () => {
      state.alive = true;
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      clearTimeout(state.expiryTimer);
      this.clients.delete(ws);
    });
    // Inbound frames are ignored: this stream is server-to-client only.
  }

  private broadcast(event: NodeEvent): void {
    if (this.clients.size === 0) return;
    // Events relayed from another node of a cluster say which node (`node`); this node's own do not.
    const frame = JSON.stringify({ type: event.type, at: event.at, data: event.data, ...(event.node ? { node: event.node } : {}) });
    for (const ws of this.clients.keys()) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      ws.send(frame);
      if (ws.bufferedAmount > this.options.maxBufferedBytes) {
        this.droppedSlowClients++;
        this.logger.warn(`dropping slow event-stream client (${ws.bufferedAmount} bytes unsent)`);
        this.clients.delete(ws);
        ws.terminate();
      }
    }
  }

  private pingAll(): void {
    for (const [ws, state] of this.clients) {
      if (!state.alive) {
        ws.terminate();
        continue;
      }
      state.alive = false;
      ws.ping();
    }
  }
}
