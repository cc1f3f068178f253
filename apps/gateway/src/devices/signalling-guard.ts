import type { RegistrationFailureDto, RegistrationFailureTotals, SignallingFailureKind } from '@gb/contracts';
import type { SipFlow } from '../sip/sip-flow';

/** Most (device ID, source host) pairs kept in the failure table; the least recently updated is evicted. */
export const MAX_FAILURE_ENTRIES = 1_000;
/** Most source hosts with a rate bucket; the least recently used is forgotten (and starts full again). */
export const MAX_RATE_SOURCES = 10_000;
/** Most bans in force at once; past it the oldest ban is lifted early. */
export const MAX_BANS = 10_000;
/** Log at most this many signalling warnings per window; the rest are counted and reported with the next one. */
export const WARNINGS_PER_WINDOW = 5;
export const WARNING_WINDOW_MS = 10_000;

export interface SignallingGuardOptions {
  /** Digest failures (403) by one device ID from one source host before that pair is banned. */
  banAfterFailures: number;
  banMs: number;
  /** Failing requests (any 4xx the registrar or MESSAGE handler sends) a source host may cause per second… */
  sourceFailuresPerS: number;
  /** …with this burst; past it the source's requests are dropped unanswered until the bucket refills. */
  sourceFailureBurst: number;
  maxEntries?: number;
  maxSources?: number;
  maxBans?: number;
}

export interface FailureEvent {
  deviceId: string | null;
  flow: Pick<SipFlow, 'transport' | 'remoteHost' | 'remotePort'>;
  kind: Exclude<SignallingFailureKind, 'banned' | 'rate-limited'>;
  status: number;
  reason: string;
}

export type Admission = 'ok' | 'banned' | 'rate-limited';

interface Entry {
  deviceId: string | null;
  host: string;
  port: number;
  transport: 'udp' | 'tcp';
  challenges: number;
  replays: number;
  forbidden: number;
  badRequests: number;
  dropped: number;
  /** 403s since the last success: the ban counter. */
  digestFailures: number;
  lastKind: SignallingFailureKind;
  lastStatus: number;
  lastReason: string;
  firstAt: number;
  lastAt: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** What a caller should log after `record()`: null when the warning budget is spent. */
export interface Warning {
  text: string;
}

/**
 * Visible signalling failures and flood limits (issue #8 item 7, issue #16 item 3), without I/O: the clock is passed
 * in, so the registrar's ban and rate rules are specified on a virtual one.
 *
 * - a table per (device ID, source host) of 401s never followed by a success, 403s, 400s, with the last reason and time;
 * - a ban of that pair after `banAfterFailures` 403s without a success in between, for `banMs` (Monibuca bans for
 *   10 minutes after 3 failures); banned requests are dropped unanswered and counted;
 * - a token bucket per source host, spent by each failure it causes: a flood of bad REGISTERs from many ports or
 *   with many device IDs is dropped unanswered once the burst is spent;
 * - a warning budget for the log, with the number of warnings left out.
 * Every map is bounded by a named cap.
 */
export class SignallingGuard {
  private readonly entries = new Map<string, Entry>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly bans = new Map<string, number>();
  /** Pairs sent one challenge and not yet seen again (bounded by maxEntries too). */
  private readonly pending = new Set<string>();
  private readonly maxEntries: number;
  private readonly maxSources: number;
  private readonly maxBans: number;
  readonly totals: RegistrationFailureTotals = {
    challenge: 0,
    replayed: 0,
    forbidden: 0,
    'bad-request': 0,
    banned: 0,
    'rate-limited': 0,
    bans: 0,
    warningsLogged: 0,
    warningsSuppressed: 0,
  };
  private warnWindowStart = -Infinity;
  private warnedInWindow = 0;
  private suppressedSinceLast = 0;

  constructor(private readonly o: SignallingGuardOptions) {
    this.maxEntries = o.maxEntries ?? MAX_FAILURE_ENTRIES;
    this.maxSources = o.maxSources ?? MAX_RATE_SOURCES;
    this.maxBans = o.maxBans ?? MAX_BANS;
  }

  /** Before any digest work: may a request from this host for this device ID be answered at all? */
  admit(host: string, deviceId: string | null, now: number): Admission {
    const key = keyOf(deviceId, host);
    const until = this.bans.get(key);
    if (until !== undefined) {
      if (until > now) {
        this.totals.banned++;
        const e = this.entries.get(key);
        if (e) {
          e.dropped++;
          e.lastKind = 'banned';
          e.lastStatus = 0;
          e.lastAt = now;
        }
        return 'banned';
      }
      this.bans.delete(key);
    }
    if (this.bucket(host, now).tokens < 1) {
      this.totals['rate-limited']++;
      return 'rate-limited';
    }
    return 'ok';
  }

  /** A 4xx was sent. Returns the warning to log (or null past the budget) and whether this failure imposed a ban. */
  record(ev: FailureEvent, now: number): { warning: Warning | null; banned: boolean } {
    this.totals[ev.kind]++;
    const b = this.bucket(ev.flow.remoteHost, now);
    b.tokens = Math.max(0, b.tokens - 1);
    const key = keyOf(ev.deviceId, ev.flow.remoteHost);
    let e = this.entries.get(key);
    if (e) this.entries.delete(key); // re-inserted below: the map's order is least recently updated first
    else {
      e = {
        deviceId: ev.deviceId, host: ev.flow.remoteHost, port: ev.flow.remotePort, transport: ev.flow.transport,
        challenges: 0, replays: 0, forbidden: 0, badRequests: 0, dropped: 0, digestFailures: 0,
        lastKind: ev.kind, lastStatus: ev.status, lastReason: ev.reason, firstAt: now, lastAt: now,
      };
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(key, e);
    e.port = ev.flow.remotePort;
    e.transport = ev.flow.transport;
    e.lastKind = ev.kind;
    e.lastStatus = ev.status;
    e.lastReason = ev.reason;
    e.lastAt = now;
    let banned = false;
    switch (ev.kind) {
      case 'replayed':
        e.replays++;
        e.challenges++;
        break;
      case 'challenge':
        e.challenges++;
        break;
      case 'bad-request':
        e.badRequests++;
        break;
      case 'forbidden':
        e.forbidden++;
        if (++e.digestFailures >= this.o.banAfterFailures) {
          e.digestFailures = 0;
          this.ban(key, now + this.o.banMs);
          banned = true;
        }
        break;
    }
    const where = `${ev.flow.transport}:${ev.flow.remoteHost}:${ev.flow.remotePort}`;
    const text = banned
      ? `device ${ev.deviceId ?? '?'} from ${where}: ${ev.reason}; ${this.o.banAfterFailures} digest failures, banned from ${ev.flow.remoteHost} for ${Math.round(this.o.banMs / 1000)} s`
      : `device ${ev.deviceId ?? '?'} from ${where}: ${ev.status} ${ev.reason}`;
    return { warning: this.warning(text, now), banned };
  }

  /**
   * The first REGISTER of a device gets a 401 by design: it is not a failure yet, but a challenge left unanswered
   * is. Counted only when the pair already has an entry (a second challenge with no success in between).
   */
  challenged(ev: Omit<FailureEvent, 'kind' | 'status'>, now: number): { warning: Warning | null } {
    const key = keyOf(ev.deviceId, ev.flow.remoteHost);
    if (!this.entries.has(key) && !this.pending.has(key)) {
      if (this.pending.size >= this.maxEntries) this.pending.delete(this.pending.values().next().value as string);
      // Free: thousands of devices behind one address may register at once (a gateway restart). A flood of first
      // REGISTERs costs one HMAC and one 401 each and leaves no state beyond this bounded set.
      this.pending.add(key);
      return { warning: null };
    }
    this.pending.delete(key);
    return { warning: this.record({ ...ev, kind: 'challenge', status: 401 }, now).warning };
  }

  /** An authenticated request from this pair: its unanswered-challenge and ban counters start again. */
  succeeded(deviceId: string, host: string): void {
    const key = keyOf(deviceId, host);
    this.pending.delete(key);
    const e = this.entries.get(key);
    if (!e) return;
    e.challenges = 0;
    e.replays = 0;
    e.digestFailures = 0;
    if (e.forbidden === 0 && e.badRequests === 0 && e.dropped === 0) this.entries.delete(key);
  }

  /** Lifts every ban and forgets the table (an operator fixed a password and does not want to wait). */
  clear(): void {
    this.entries.clear();
    this.bans.clear();
    this.pending.clear();
    this.buckets.clear();
  }

  activeBans(now: number): number {
    let n = 0;
    for (const until of this.bans.values()) if (until > now) n++;
    return n;
  }

  list(now: number): RegistrationFailureDto[] {
    const out: RegistrationFailureDto[] = [];
    for (const [key, e] of this.entries) {
      const until = this.bans.get(key);
      out.push({
        deviceId: e.deviceId,
        sourceAddress: `${e.host}:${e.port}`,
        transport: e.transport,
        challenges: e.challenges,
        replays: e.replays,
        forbidden: e.forbidden,
        badRequests: e.badRequests,
        dropped: e.dropped,
        lastKind: e.lastKind,
        lastStatus: e.lastStatus,
        lastReason: e.lastReason,
        firstAt: new Date(e.firstAt).toISOString(),
        lastAt: new Date(e.lastAt).toISOString(),
        bannedUntil: until !== undefined && until > now ? new Date(until).toISOString() : null,
      });
    }
    return out.reverse();
  }

  get maxEntryCount(): number {
    return this.maxEntries;
  }

  private ban(key: string, until: number): void {
    this.bans.delete(key);
    if (this.bans.size >= this.maxBans) this.bans.delete(this.bans.keys().next().value as string);
    this.bans.set(key, until);
    this.totals.bans++;
  }

  private bucket(host: string, now: number): Bucket {
    let b = this.buckets.get(host);
    if (b) {
      this.buckets.delete(host);
      b.tokens = Math.min(this.o.sourceFailureBurst, b.tokens + ((now - b.at) / 1000) * this.o.sourceFailuresPerS);
      b.at = now;
    } else {
      if (this.buckets.size >= this.maxSources) this.buckets.delete(this.buckets.keys().next().value as string);
      b = { tokens: this.o.sourceFailureBurst, at: now };
    }
    this.buckets.set(host, b);
    return b;
  }

  private warning(text: string, now: number): Warning | null {
    if (now - this.warnWindowStart >= WARNING_WINDOW_MS) {
      this.warnWindowStart = now;
      this.warnedInWindow = 0;
    }
    if (this.warnedInWindow >= WARNINGS_PER_WINDOW) {
      this.suppressedSinceLast++;
      this.totals.warningsSuppressed++;
      return null;
    }
    this.warnedInWindow++;
    this.totals.warningsLogged++;
    const suppressed = this.suppressedSinceLast;
    this.suppressedSinceLast = 0;
    return { text: suppressed > 0 ? `${text} (${suppressed} more signalling warnings suppressed before this one)` : text };
  }
}

function keyOf(deviceId: string | null, host: string): string {
  return `${deviceId ?? ''}|${host}`;
}
