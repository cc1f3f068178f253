import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { GatewayError } from '../common/gateway-error';
import { generatePassword, hashPassword, verifyPassword } from './password-hash';
import { SECRET_KEY_ADMIN_PASSWORD_HASH, SECRET_KEY_JWT_SECRET, SecretStore } from './secret-store';

export interface AuthInitResult {
  /** Set only on the very first start without ADMIN_PASSWORD: print it once, it is stored nowhere in clear. */
  generatedPassword?: string;
}

export interface AccessToken {
  accessToken: string;
  /** Seconds until the token expires. */
  expiresIn: number;
}

export interface TokenClaims {
  sub: string;
  iat: number;
  exp: number;
}

const JWT_ALGORITHM = 'HS256';

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/**
 * The single admin account and its API tokens.
 * Password: ADMIN_PASSWORD (hashed at boot), else a generated one whose scrypt hash lives in SecretStore.
 * JWT secret: JWT_SECRET, else generated once and kept in SecretStore.
 */
@Injectable()
export class AuthService {
  private initPromise?: Promise<AuthInitResult>;
  private passwordHash = '';
  private jwtSecret = '';

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(SecretStore) private readonly secrets: SecretStore,
    @Inject(JwtService) private readonly jwt: JwtService,
  ) {}

  /** Idempotent: the first call loads or creates the secrets; later calls return the same result. */
  init(): Promise<AuthInitResult> {
    this.initPromise ??= this.load().catch((err: unknown) => {
      this.initPromise = undefined;
      throw err;
    });
    return this.initPromise;
  }

  private async load(): Promise<AuthInitResult> {
    const result: AuthInitResult = {};
    if (this.config.ADMIN_PASSWORD !== undefined) {
      this.passwordHash = await hashPassword(this.config.ADMIN_PASSWORD);
    } else {
      const stored = await this.secrets.get(SECRET_KEY_ADMIN_PASSWORD_HASH);
      if (stored) {
        this.passwordHash = stored;
      } else {
        const password = generatePassword();
        const mine = await hashPassword(password);
        // Nodes starting together on one database: the first hash stored wins, and only its node shows the password.
        this.passwordHash = await this.secrets.getOrCreate(SECRET_KEY_ADMIN_PASSWORD_HASH, () => mine);
        if (this.passwordHash === mine) result.generatedPassword = password;
      }
    }
    if (this.config.JWT_SECRET !== undefined) {
      this.jwtSecret = this.config.JWT_SECRET;
    } else {
      // getOrCreate: nodes starting together on one database all end up with the first secret stored.
      this.jwtSecret = await this.secrets.getOrCreate(SECRET_KEY_JWT_SECRET, () => randomBytes(48).toString('base64url'));
    }
    return result;
  }

  /** Checks the credentials in constant time (the password hash is always computed) and issues a token. */
  async login(username: string, password: string): Promise<AccessToken> {
    await this.init();
    const userOk = timingSafeEqual(sha256(username), sha256(this.config.ADMIN_USER));
    const passwordOk = await verifyPassword(password, this.passwordHash);
    if (!(userOk && passwordOk)) throw new GatewayError('UNAUTHORIZED', 'Invalid username or password');
    const expiresIn = this.config.JWT_TTL_S;
    const accessToken = await this.jwt.signAsync(
      { sub: this.config.ADMIN_USER },
      { secret: this.jwtSecret, expiresIn, algorithm: JWT_ALGORITHM },
    );
    return { accessToken, expiresIn };
  }

  /** Verifies a token; throws GatewayError UNAUTHORIZED when it is missing, malformed, forged or expired. */
  async verify(token: string | undefined | null): Promise<TokenClaims> {
    if (!token) throw new GatewayError('UNAUTHORIZED', 'Missing bearer token');
    await this.init();
    try {
      const claims = await this.jwt.verifyAsync<TokenClaims>(token, { secret: this.jwtSecret, algorithms: [JWT_ALGORITHM] });
      if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number') throw new Error('claims missing');
      return claims;
    } catch (err) {
      const expired = err instanceof Error && err.name === 'TokenExpiredError';
      throw new GatewayError('UNAUTHORIZED', expired ? 'Token expired' : 'Invalid token', undefined, { cause: err });
    }
  }
}
