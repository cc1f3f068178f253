import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a nonce we issued stays good (RFC 2617 §3.2.1 leaves it to the server). */
export const NONCE_MAX_AGE_S = 300;
/**
 * Most nonces whose use is remembered at once. Only a request with a correct digest records one, so this bounds the
 * memory of legitimate traffic (a registration or authenticated MESSAGE each); past it the oldest is forgotten and
 * every nonce issued up to that one's second is refused as used (the device gets a fresh challenge).
 */
export const MAX_TRACKED_NONCES = 50_000;
/** Clock skew tolerated between the nonce's issue time and now. */
const NONCE_FUTURE_SKEW_S = 5;

export type NonceState = 'ok' | 'stale' | 'invalid';
export type NonceUse = 'fresh' | 'replayed';

interface Use {
  issuedS: number;
  /** Highest `nc` seen (qop=auth), or Infinity once used without qop. */
  lastNc: number;
}

/**
 * Digest nonces: hex(issuedAt seconds) + hex(4 random bytes) + hex(HMAC(secret, both)[0..8]), 32 hex digits.
 * Issuing stores nothing, so a challenge storm cannot grow memory; `check()` proves a nonce ours and fresh. `use()` refuses a replay (issue #16): without
 * qop a nonce is good for one request; with qop=auth each request must carry a higher `nc` than the last (RFC 2617
 * §3.2.2). The clock is passed in: tests run on a virtual one.
 */
export class NonceIssuer {
  private readonly secret: Buffer;
  private readonly used = new Map<string, Use>();
  /** Nonces issued at or before this second may have been forgotten: treated as used. */
  private forgottenUpToS = -1;

  constructor(
    private readonly maxAgeS = NONCE_MAX_AGE_S,
    private readonly maxTracked = MAX_TRACKED_NONCES,
    secret: Buffer = randomBytes(32),
  ) {
    this.secret = secret;
  }

  issue(nowMs: number): string {
    const t = Math.floor(nowMs / 1000).toString(16).padStart(8, '0');
    // A per-challenge salt: two challenges in the same second must differ, or a nonce used once would be reissued.
    const head = t + randomBytes(4).toString('hex');
    return head + this.mac(head);
  }

  /** 'ok', 'stale' (ours but too old: answer 401 stale=true) or 'invalid' (not ours: a plain 401). */
  check(nonce: string, nowMs: number): NonceState {
    if (!/^[0-9a-f]{32}$/.test(nonce)) return 'invalid';
    const head = nonce.slice(0, 16);
    const mac = Buffer.from(nonce.slice(16), 'hex');
    if (!timingSafeEqual(mac, Buffer.from(this.mac(head), 'hex'))) return 'invalid';
    const age = nowMs / 1000 - parseInt(head.slice(0, 8), 16);
    if (age < -NONCE_FUTURE_SKEW_S || age > this.maxAgeS) return 'stale';
    return 'ok';
  }

  /**
   * Records one use of a nonce that passed `check()` in a request whose digest was correct (call it only then, or a
   * forged request could burn a device's nonce). `nc`: the request's nonce count (qop=auth), undefined without qop.
   */
  use(nonce: string, nc: number | undefined, nowMs: number): NonceUse {
    this.forgetExpired(nowMs);
    const issuedS = parseInt(nonce.slice(0, 8), 16);
    if (issuedS <= this.forgottenUpToS) return 'replayed';
    const prev = this.used.get(nonce);
    const next = nc === undefined ? Infinity : nc;
    if (prev && !(nc !== undefined && nc > prev.lastNc)) return 'replayed';
    if (prev) {
      prev.lastNc = next;
      return 'fresh';
    }
    if (this.used.size >= this.maxTracked) {
      const [oldest, u] = this.used.entries().next().value as [string, Use];
      this.used.delete(oldest);
      this.forgottenUpToS = Math.max(this.forgottenUpToS, u.issuedS);
      if (issuedS <= this.forgottenUpToS) return 'replayed';
    }
    this.used.set(nonce, { issuedS, lastNc: next });
    return 'fresh';
  }

  /** Nonces remembered now (for tests and metrics). */
  get trackedCount(): number {
    return this.used.size;
  }

  /** Expired nonces fail `check()` anyway: their use records can go (oldest first: the map is in first-use order). */
  private forgetExpired(nowMs: number): void {
    const limitS = nowMs / 1000 - this.maxAgeS;
    for (const [n, u] of this.used) {
      if (u.issuedS >= limitS) break;
      this.used.delete(n);
    }
  }

  private mac(head: string): string {
    return createHmac('sha256', this.secret).update(head).digest('hex').slice(0, 16);
  }
}
