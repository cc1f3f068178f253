import { HttpException, HttpStatus } from '@nestjs/common';
import { GatewayError } from '../common/gateway-error';

export interface LoginThrottleOptions {
  /** Failed logins one client address may make per window before it gets 429. */
  maxFailures: number;
  windowMs: number;
  /** Most client addresses remembered; the oldest entry is forgotten beyond it. */
  maxTrackedClients: number;
  /** Most password checks (scrypt, ~32 MiB each) running at once; further logins get 429. */
  maxConcurrent: number;
}

export const DEFAULT_LOGIN_THROTTLE_OPTIONS: Readonly<LoginThrottleOptions> = {
  maxFailures: 10,
  windowMs: 60_000,
  maxTrackedClients: 10_000,
  maxConcurrent: 4,
};

interface Entry {
  failures: number;
  windowStart: number;
}

export class TooManyLoginsException extends HttpException {
  constructor(message: string, readonly retryAfterS: number) {
    super({ statusCode: HttpStatus.TOO_MANY_REQUESTS, code: 'TOO_MANY_REQUESTS', message }, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/**
 * Bounds password guessing and the CPU/memory that scrypt checks cost: per-address failure budget per window,
 * and a cap on concurrent checks. In-memory; the clock is injected.
 */
export class LoginThrottle {
  private readonly options: LoginThrottleOptions;
  private readonly entries = new Map<string, Entry>();
  private inFlight = 0;

  constructor(
    options: Partial<LoginThrottleOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULT_LOGIN_THROTTLE_OPTIONS, ...options };
  }

  get trackedClients(): number {
    return this.entries.size;
  }

  /**
   * Runs `attempt` for `client` unless it is over budget. A GatewayError UNAUTHORIZED from it counts as a failure;
   * success clears the client's record.
   */
  async run<T>(client: string, attempt: () => Promise<T>): Promise<T> {
    const t = this.now();
    const entry = this.entries.get(client);
    if (entry && t - entry.windowStart >= this.options.windowMs) this.entries.delete(client);
    const current = this.entries.get(client);
    if (current && current.failures >= this.options.maxFailures) {
      const retryAfterS = Math.max(1, Math.ceil((current.windowStart + this.options.windowMs - t) / 1000));
      throw new TooManyLoginsException(`Too many failed logins; retry in ${retryAfterS} s`, retryAfterS);
    }
    if (this.inFlight >= this.options.maxConcurrent) {
      throw new TooManyLoginsException('Too many logins in progress; retry shortly', 1);
    }
    this.inFlight++;
    try {
      const result = await attempt();
      this.entries.delete(client);
      return result;
    } catch (err) {
      if (err instanceof GatewayError && err.code === 'UNAUTHORIZED') this.recordFailure(client, t);
      throw err;
    } finally {
      this.inFlight--;
    }
  }

  private recordFailure(client: string, t: number): void {
    const e = this.entries.get(client);
    if (e) {
      e.failures++;
      return;
    }
    if (this.entries.size >= this.options.maxTrackedClients) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(client, { failures: 1, windowStart: t });
  }
}

/** Optional provider token to override DEFAULT_LOGIN_THROTTLE_OPTIONS (partially). */
export const LOGIN_THROTTLE_OPTIONS = Symbol('LOGIN_THROTTLE_OPTIONS');
