import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Stateless digest nonces: hex(issuedAt seconds) + hex(HMAC(secret, issuedAt)[0..8]).
 * No per-challenge storage, so a registration storm cannot grow memory; freshness bounds replay.
 */
export class NonceIssuer {
  private readonly secret = randomBytes(32);

  constructor(private readonly maxAgeS = 300) {}

  issue(nowMs: number): string {
    const t = Math.floor(nowMs / 1000).toString(16).padStart(8, '0');
    return t + this.mac(t);
  }

  /** 'ok', 'stale' (ours but too old: answer 401 stale=true) or 'invalid'. */
  check(nonce: string, nowMs: number): 'ok' | 'stale' | 'invalid' {
    if (!/^[0-9a-f]{24}$/.test(nonce)) return 'invalid';
    const t = nonce.slice(0, 8);
    const mac = Buffer.from(nonce.slice(8), 'hex');
    if (!timingSafeEqual(mac, Buffer.from(this.mac(t), 'hex'))) return 'invalid';
    const age = nowMs / 1000 - parseInt(t, 16);
    if (age < -5 || age > this.maxAgeS) return 'stale';
    return 'ok';
  }

  private mac(t: string): string {
    return createHmac('sha256', this.secret).update(t).digest('hex').slice(0, 16);
  }
}
