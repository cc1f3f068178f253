/**
 * Who may open a SIP TCP connection (RFC 3261 §18.3 leaves it to us). Bounds, per source host and overall:
 *
 *   accept rate   a token bucket per host: `acceptRatePerHost` per second, burst = `maxConnectionsPerHost`
 *   per host      at most `maxConnectionsPerHost` open connections from one address
 *   overall       at most `maxConnections`; the last `reservedPercent` of them only for known hosts
 *
 * A host is *known* once one of its connections carried a complete SIP message that parsed (markKnown). When the
 * share a newcomer may use is full, the transport evicts the oldest connection that never carried a message, so
 * idle sockets from a flood cannot lock devices out; when there is none to evict, the newcomer is refused.
 * Pure bookkeeping: the clock is injected, sockets stay in the transport.
 */
export interface TcpAdmissionLimits {
  maxConnections: number;
  maxConnectionsPerHost: number;
  /** New connections per second one host may open, on average. */
  acceptRatePerHost: number;
  /** Share (0–100) of maxConnections kept for known hosts. */
  reservedPercent: number;
}

/** Most hosts remembered (known hosts; rate buckets); the oldest are forgotten beyond it. */
export const MAX_TRACKED_TCP_HOSTS = 65_536;

export type TcpRefusalCode = 'SIP_TCP_ACCEPT_RATE' | 'SIP_TCP_HOST_LIMIT' | 'SIP_TCP_CAPACITY';

export type TcpAdmissionDecision =
  | { kind: 'admit' }
  /** Admit after closing the oldest connection that never carried a message (none exists: refuse instead). */
  | { kind: 'evict-then-admit' }
  | { kind: 'refuse'; code: TcpRefusalCode };

interface Bucket {
  tokens: number;
  at: number;
}

export class TcpAdmission {
  private readonly perHost = new Map<string, number>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly known = new Set<string>();
  private open = 0;

  constructor(
    private readonly limits: TcpAdmissionLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Connections counted as open. */
  get openConnections(): number {
    return this.open;
  }

  /** Connections the hosts that are not known may hold together with everyone else. */
  get unreservedCapacity(): number {
    return this.limits.maxConnections - Math.floor((this.limits.maxConnections * this.limits.reservedPercent) / 100);
  }

  connectionsFrom(host: string): number {
    return this.perHost.get(host) ?? 0;
  }

  isKnown(host: string): boolean {
    return this.known.has(host);
  }

  /** A connection from `host` is asking in. Costs one token of its accept budget whatever the answer. */
  decide(host: string): TcpAdmissionDecision {
    if (!this.takeToken(host)) return { kind: 'refuse', code: 'SIP_TCP_ACCEPT_RATE' };
    if (this.connectionsFrom(host) >= this.limits.maxConnectionsPerHost) return { kind: 'refuse', code: 'SIP_TCP_HOST_LIMIT' };
    const share = this.known.has(host) ? this.limits.maxConnections : this.unreservedCapacity;
    return this.open < share ? { kind: 'admit' } : { kind: 'evict-then-admit' };
  }

  opened(host: string): void {
    this.open++;
    this.perHost.set(host, this.connectionsFrom(host) + 1);
  }

  closed(host: string): void {
    this.open = Math.max(0, this.open - 1);
    const n = this.connectionsFrom(host) - 1;
    if (n > 0) this.perHost.set(host, n);
    else this.perHost.delete(host);
  }

  /** `host` sent a complete, well-formed SIP message: it may use the reserved share from now on. */
  markKnown(host: string): void {
    if (this.known.has(host)) return;
    if (this.known.size >= MAX_TRACKED_TCP_HOSTS) this.known.delete(this.known.values().next().value!);
    this.known.add(host);
  }

  /** Forgets rate buckets that have refilled (called by the transport's sweep, so the map stays small). */
  forgetIdleBuckets(): void {
    const t = this.now();
    for (const [host, b] of this.buckets) if (this.refill(b, t) >= this.limits.maxConnectionsPerHost) this.buckets.delete(host);
  }

  private takeToken(host: string): boolean {
    const t = this.now();
    let b = this.buckets.get(host);
    if (!b) {
      if (this.buckets.size >= MAX_TRACKED_TCP_HOSTS) this.buckets.delete(this.buckets.keys().next().value!);
      b = { tokens: this.limits.maxConnectionsPerHost, at: t };
      this.buckets.set(host, b);
    }
    b.tokens = this.refill(b, t);
    b.at = t;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private refill(b: Bucket, t: number): number {
    return Math.min(this.limits.maxConnectionsPerHost, b.tokens + ((t - b.at) / 1000) * this.limits.acceptRatePerHost);
  }
}
