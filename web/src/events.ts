import type { GatewayEvent } from '@gb/contracts';
import { getToken } from './api';

type Listener = (e: GatewayEvent) => void;
type StateListener = (connected: boolean) => void;

/** RFC 6455 private close code the gateway sends when the token expires (api/event-stream.server.ts). */
const CLOSE_TOKEN_EXPIRED = 4001;
const MAX_BACKOFF_MS = 10_000;

/**
 * The gateway's event WebSocket (/api/events?access_token=…), reconnecting with backoff; listeners survive reconnects.
 * After a reconnect, `onReconnect` listeners run so pages can refetch what they may have missed.
 */
export class EventStream {
  private ws: WebSocket | null = null;
  private readonly listeners = new Set<Listener>();
  private readonly stateListeners = new Set<StateListener>();
  private readonly reconnectListeners = new Set<() => void>();
  private backoff = 500;
  private timer: number | undefined;
  private stopped = true;
  private everConnected = false;
  connected = false;

  constructor(private readonly onTokenExpired: () => void) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.timer);
    this.ws?.close(1000);
    this.ws = null;
    this.everConnected = false;
    this.setConnected(false);
  }

  on(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onState(fn: StateListener): () => void {
    this.stateListeners.add(fn);
    fn(this.connected);
    return () => this.stateListeners.delete(fn);
  }

  onReconnect(fn: () => void): () => void {
    this.reconnectListeners.add(fn);
    return () => this.reconnectListeners.delete(fn);
  }

  private connect(): void {
    const token = getToken();
    if (!token || this.stopped) return;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/events?access_token=${encodeURIComponent(token)}`;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => {
      this.backoff = 500;
      this.setConnected(true);
      if (this.everConnected) for (const fn of this.reconnectListeners) safe(fn);
      this.everConnected = true;
    };
    ws.onmessage = (m) => {
      let ev: GatewayEvent;
      try {
        ev = JSON.parse(String(m.data)) as GatewayEvent;
      } catch {
        return;
      }
      for (const fn of this.listeners) safe(() => fn(ev));
    };
    ws.onclose = (c) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.setConnected(false);
      if (this.stopped) return;
      if (c.code === CLOSE_TOKEN_EXPIRED) return this.onTokenExpired();
      this.timer = window.setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(MAX_BACKOFF_MS, this.backoff * 2);
    };
  }

  private setConnected(v: boolean): void {
    if (this.connected === v) return;
    this.connected = v;
    for (const fn of this.stateListeners) safe(() => fn(v));
  }
}

/** A throwing listener must not stop the others. */
function safe(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    console.error(e);
  }
}
