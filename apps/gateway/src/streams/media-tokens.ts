import { Inject, Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { SecretStore } from '../auth/secret-store';

/** SecretStore key of the media token key, shared by every node of a cluster. */
export const SECRET_KEY_MEDIA_TOKENS = 'media.tokenKey';

/**
 * Signed media URL tokens: `<expiry unix s>.<hmac(streamId.expiry)>`, so a URL can be handed to a player
 * without the API token. The key is generated once and kept in the database, so every node of a cluster
 * (and a restarted node) accepts the URLs any node signed.
 */
@Injectable()
export class MediaTokens implements OnModuleInit {
  private key = randomBytes(32);

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    @Optional() @Inject(SecretStore) private readonly secrets?: SecretStore,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.secrets) return;
    this.key = Buffer.from(await this.secrets.getOrCreate(SECRET_KEY_MEDIA_TOKENS, () => randomBytes(32).toString('base64')), 'base64');
  }

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
