import { Injectable } from '@nestjs/common';
import type { GatewayEvent } from '@gb/contracts';

/** An event as clients see it: events relayed from another node of a cluster carry that node's ID. */
export type NodeEvent = GatewayEvent & { node?: string };
type Listener = (e: GatewayEvent) => void;
type AnyListener = (e: NodeEvent) => void;

/**
 * In-process publish/subscribe for gateway events. A throwing listener cannot break the others.
 * `subscribe` hears this node's events only (services react to them: streams close on device.offline…);
 * `subscribeAll` also hears events relayed from the other nodes of a cluster (the WebSocket clients).
 */
@Injectable()
export class EventBus {
  private readonly listeners = new Set<Listener>();
  private readonly allListeners = new Set<AnyListener>();

  publish<E extends GatewayEvent>(type: E['type'], data: E['data']): void {
    const event = { type, at: new Date().toISOString(), data } as GatewayEvent;
    for (const l of [...this.listeners]) call(l, event);
    for (const l of [...this.allListeners]) call(l, event);
  }

  /** An event another node published: for subscribeAll listeners only, never acted on here. */
  deliverRemote(event: NodeEvent): void {
    for (const l of [...this.allListeners]) call(l, event);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  subscribeAll(listener: AnyListener): () => void {
    this.allListeners.add(listener);
    return () => this.allListeners.delete(listener);
  }
}

function call<E>(l: (e: E) => void, e: E): void {
  try {
    l(e);
  } catch {
    /* a listener's failure is its own */
  }
}
