import { Inject, Injectable } from '@nestjs/common';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';

/**
 * Signed media URL tokens: `<expiry unix s>.<hmac(streamId.expiry)>`, so a URL can be handed to a player
 * without the API token. Keyed per process start (URLs are short-lived anyway).
 */
@Injectable()
export class MediaTokens {
  private readonly key = randomBytes(32);

  constructor(@Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig) {}

  sign(streamId: string, now = Date.now()): string {
    const exp = Math.floor(now / 1000) + this.cfg.MEDIA_TOKEN_TTL_S;
    return `${exp}.${this.mac(streamId, exp)}`;
  }

  verify(streamId: string, token: string | undefined, now = Date.now()): boolean {
    if (!token) return false;
    const m = /^(\d{1,12})\.([0-9a-f]{32})$/.exec(token);
    if (!m) return false;
    const exp = Number(m[1]);
    if (exp < now / 1000) return false;
    return timingSafeEqual(Buffer.from(m[2]!, 'hex'), Buffer.from(this.mac(streamId, exp), 'hex'));
  }

  private mac(streamId: string, exp: number): string {
    return createHmac('sha256', this.key).update(`${streamId}.${exp}`).digest('hex').slice(0, 32);
  }
}
