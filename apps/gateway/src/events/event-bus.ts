import { Injectable } from '@nestjs/common';
import type { GatewayEvent } from '@gb/contracts';

type Listener = (e: GatewayEvent) => void;

/** In-process publish/subscribe for gateway events. A throwing listener cannot break the others. */
@Injectable()
export class EventBus {
  private readonly listeners = new Set<Listener>();

  publish<E extends GatewayEvent>(type: E['type'], data: E['data']): void {
    const event = { type, at: new Date().toISOString(), data } as GatewayEvent;
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch {
        /* a listener's failure is its own */
      }
    }
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
