import { GatewayError } from '../common/gateway-error';

/** A port whose bind failed (another program holds it) is not handed out again for this long. */
export const RTP_PORT_QUARANTINE_MS = 60_000;
/** Most ports openOnFreePort() tries for one stream before it gives up with PORTS_EXHAUSTED. */
export const RTP_BIND_MAX_ATTEMPTS = 8;
/** Bind errors that say "this port, not this host": another port may work, so the port is quarantined and another tried. */
export const RETRYABLE_BIND_ERRORS: readonly string[] = ['EADDRINUSE', 'EACCES'];

export interface PortPoolStats {
  /** Even ports in [min, max]. */
  total: number;
  /** Handed out and not yet released. */
  inUse: number;
  /** Failed to bind recently: held back until their quarantine ends. */
  quarantined: number;
  /** Ready for take(). */
  free: number;
}

/**
 * RTP ports handed to streams: even ports in [min, max] (RTCP would take the odd one above, RFC 3550 §11).
 * Allocation only tracks what we gave out; the socket bind itself may still fail (another program holds the port,
 * e.g. a client connection whose ephemeral port lies in our range). Then the caller quarantines the port and asks
 * again: openOnFreePort() does exactly that. Time comes from `now` (no timers: quarantines end when take() looks).
 */
export class PortPool {
  private readonly free: number[] = [];
  private readonly used = new Set<number>();
  /** Port -> when its quarantine ends (ms, by `now`). */
  private readonly held = new Map<number, number>();
  private readonly now: () => number;

  constructor(readonly min: number, readonly max: number, opts: { now?: () => number } = {}) {
    for (let p = min + (min % 2); p <= max; p += 2) this.free.push(p);
    this.now = opts.now ?? Date.now;
  }

  /** Ports take() can hand out now. */
  get available(): number {
    this.endQuarantines();
    return this.free.length;
  }

  stats(): PortPoolStats {
    this.endQuarantines();
    return { total: this.free.length + this.used.size + this.held.size, inUse: this.used.size, quarantined: this.held.size, free: this.free.length };
  }

  /** The least recently used free port; GatewayError PORTS_EXHAUSTED when none is free. */
  take(): number {
    this.endQuarantines();
    const p = this.free.shift();
    if (p === undefined) {
      const s = this.stats();
      throw new GatewayError('PORTS_EXHAUSTED', `no free RTP port in ${this.min}-${this.max} (RTP_PORT_MIN/RTP_PORT_MAX): ${s.inUse} in use, ${s.quarantined} quarantined after failed binds`, { ...s });
    }
    this.used.add(p);
    return p;
  }

  /** Gives back a port from take(); unknown or already released ports are ignored (idempotent). */
  release(p: number): void {
    if (!this.used.delete(p)) return;
    // Reuse least-recently released ports last, so a late packet of an old stream does not land in a new one.
    this.free.push(p);
  }

  /** A port from take() whose bind failed: released, but not handed out again for `ms`. */
  quarantine(p: number, ms = RTP_PORT_QUARANTINE_MS): void {
    if (!this.used.delete(p)) return;
    this.held.set(p, this.now() + ms);
  }

  private endQuarantines(): void {
    if (this.held.size === 0) return;
    const now = this.now();
    for (const [p, until] of this.held) {
      if (until > now) continue;
      this.held.delete(p);
      this.free.push(p);
    }
  }
}

/** The errno code of a bind failure (`EADDRINUSE`, …): Node system errors and RtpBindError carry it as `code`. */
export function bindErrorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Takes a port and runs `open(port)` on it; when the bind fails with EADDRINUSE or EACCES, quarantines the port and
 * tries another, up to `maxAttempts` ports. `open` must release what it opened before it rejects (RtpReceiver.open()
 * closes its socket). Throws GatewayError PORTS_EXHAUSTED when the pool or the attempts run out, and rethrows any
 * other error; in both cases the port it holds is given back (no port is kept by a failed call).
 */
export async function openOnFreePort<T>(pool: PortPool, open: (port: number) => Promise<T>, maxAttempts = RTP_BIND_MAX_ATTEMPTS): Promise<{ port: number; value: T }> {
  const refused: { port: number; code: string }[] = [];
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    let port: number;
    try {
      port = pool.take();
    } catch (e) {
      if (refused.length === 0) throw e;
      throw new GatewayError('PORTS_EXHAUSTED', `${(e as Error).message}; this call met ${describe(refused)}`, { refused }, { cause: e });
    }
    try {
      return { port, value: await open(port) };
    } catch (e) {
      const code = bindErrorCode(e);
      if (code === undefined || !RETRYABLE_BIND_ERRORS.includes(code)) {
        pool.release(port);
        throw e;
      }
      pool.quarantine(port);
      refused.push({ port, code });
    }
  }
  throw new GatewayError('PORTS_EXHAUSTED', `no RTP port could be bound after ${maxAttempts} attempts (RTP_BIND_MAX_ATTEMPTS): ${describe(refused)}`, { refused });
}

function describe(refused: { port: number; code: string }[]): string {
  return refused.map((r) => `${r.port} ${r.code}`).join(', ');
}
