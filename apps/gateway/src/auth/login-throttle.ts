import { GatewayError } from '../common/gateway-error';
import type { GatewayConfig } from '../config/config.schema';
import { FairQueue, FairQueueRefusedError } from './fair-queue';

export interface LoginThrottleOptions {
  /** Failed logins one client (IPv4 address, IPv6 /64) may make per window before it gets 429. */
  maxFailures: number;
  windowMs: number;
  /** Failed logins for one user name per window after which only clients that have not failed yet may try it. */
  maxUserFailures: number;
  /** Most clients (and user names) remembered; the oldest entry is forgotten beyond it. */
  maxTrackedClients: number;
  /** Most password checks (scrypt, ~32 MiB each) running at once; the others wait their turn (FairQueue). */
  maxConcurrent: number;
  /** Most logins one client may have waiting or running; more get 429 at once. */
  maxPendingPerClient: number;
  /** Longest a login waits for its turn before it gets 429. */
  maxQueueWaitMs: number;
}

export const DEFAULT_LOGIN_THROTTLE_OPTIONS: Readonly<LoginThrottleOptions> = {
  maxFailures: 10,
  windowMs: 60_000,
  maxUserFailures: 100,
  maxTrackedClients: 10_000,
  maxConcurrent: 4,
  maxPendingPerClient: 2,
  maxQueueWaitMs: 10_000,
};

interface Entry {
  failures: number;
  windowStart: number;
}

/** 429 TOO_MANY_REQUESTS with `Retry-After` (the HTTP edge reads `details.retryAfterS`). */
export class TooManyLoginsException extends GatewayError {
  constructor(message: string, readonly retryAfterS: number) {
    super('TOO_MANY_REQUESTS', message, { retryAfterS });
  }
}

/**
 * Bounds password guessing and the CPU/memory that scrypt checks cost, without a global limit an attacker can fill:
 *
 * - per client: `maxFailures` failed logins per window, then 429 until the window ends;
 * - per user name: past `maxUserFailures` failures in a window (a distributed guess), a client that has already
 *   failed gets 429 for that user; a client that has not (the real admin at a new address) still gets its turn;
 * - scrypt work in a FairQueue: clients take turns, those in good standing first, at most `maxPendingPerClient`
 *   logins each, none waiting longer than `maxQueueWaitMs`.
 *
 * In-memory; the clock is injected.
 */
export class LoginThrottle {
  private readonly options: LoginThrottleOptions;
  private readonly clients = new Map<string, Entry>();
  private readonly users = new Map<string, Entry>();
  private readonly queue: FairQueue;

  constructor(
    options: Partial<LoginThrottleOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULT_LOGIN_THROTTLE_OPTIONS, ...options };
    this.queue = new FairQueue({
      maxConcurrent: this.options.maxConcurrent,
      maxPendingPerClient: this.options.maxPendingPerClient,
      maxWaitMs: this.options.maxQueueWaitMs,
    });
  }

  get trackedClients(): number {
    return this.clients.size;
  }

  /**
   * Runs `attempt` (the password check) for `client` logging in as `username`, unless a budget says no.
   * A GatewayError UNAUTHORIZED from it counts as a failure; success clears the client's record.
   */
  async run<T>(clientAddress: string, username: string, attempt: () => Promise<T>): Promise<T> {
    const client = clientKeyOf(clientAddress);
    const t = this.now();
    const mine = this.current(this.clients, client, t);
    if (mine && mine.failures >= this.options.maxFailures) {
      const retryAfterS = this.retryAfterS(mine, t);
      throw new TooManyLoginsException(`Too many failed logins; retry in ${retryAfterS} s`, retryAfterS);
    }
    const user = this.current(this.users, username, t);
    if (user && user.failures >= this.options.maxUserFailures && mine) {
      const retryAfterS = this.retryAfterS(user, t);
      throw new TooManyLoginsException(`Too many failed logins for this user; retry in ${retryAfterS} s`, retryAfterS);
    }
    try {
      const result = await this.queue.run(client, mine ? 1 : 0, attempt);
      this.clients.delete(client);
      return result;
    } catch (err) {
      if (err instanceof FairQueueRefusedError) {
        throw new TooManyLoginsException(err.reason === 'CLIENT_BUSY' ? 'A login from this address is already in progress; retry shortly' : 'Too many logins in progress; retry shortly', 1);
      }
      if (err instanceof GatewayError && err.code === 'UNAUTHORIZED') {
        this.recordFailure(this.clients, client, t);
        this.recordFailure(this.users, username, t);
      }
      throw err;
    }
  }

  private current(map: Map<string, Entry>, key: string, t: number): Entry | undefined {
    const e = map.get(key);
    if (e && t - e.windowStart >= this.options.windowMs) {
      map.delete(key);
      return undefined;
    }
    return e;
  }

  private retryAfterS(e: Entry, t: number): number {
    return Math.max(1, Math.ceil((e.windowStart + this.options.windowMs - t) / 1000));
  }

  private recordFailure(map: Map<string, Entry>, key: string, t: number): void {
    const e = this.current(map, key, t);
    if (e) {
      e.failures++;
      return;
    }
    if (map.size >= this.options.maxTrackedClients) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
    map.set(key, { failures: 1, windowStart: t });
  }
}

/**
 * The unit a budget applies to: an IPv4 address, or the /64 an IPv6 address is in (one subscriber usually holds a
 * whole /64, so per-address budgets would be endless there). IPv4-mapped IPv6 counts as IPv4.
 */
export function clientKeyOf(address: string): string {
  const a = address.toLowerCase();
  if (a.startsWith('::ffff:') && a.includes('.')) return a.slice(7);
  if (!a.includes(':')) return a;
  const [head, tail] = a.split('::', 2) as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** The throttle's options from the gateway config (LOGIN_* keys). */
export function loginThrottleOptionsOf(cfg: GatewayConfig): LoginThrottleOptions {
  return {
    ...DEFAULT_LOGIN_THROTTLE_OPTIONS,
    maxFailures: cfg.LOGIN_MAX_FAILURES,
    windowMs: cfg.LOGIN_WINDOW_S * 1000,
    maxUserFailures: cfg.LOGIN_USER_MAX_FAILURES,
    maxConcurrent: cfg.LOGIN_MAX_CONCURRENT,
    maxPendingPerClient: cfg.LOGIN_MAX_PENDING_PER_CLIENT,
    maxQueueWaitMs: cfg.LOGIN_QUEUE_TIMEOUT_MS,
  };
}

/** Optional provider token to override DEFAULT_LOGIN_THROTTLE_OPTIONS (partially). */
export const LOGIN_THROTTLE_OPTIONS = Symbol('LOGIN_THROTTLE_OPTIONS');
