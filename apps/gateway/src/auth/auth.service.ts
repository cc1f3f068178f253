import { Inject, Injectable, Optional } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { randomBytes } from 'node:crypto';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { GatewayError } from '../common/gateway-error';
import { AccountStore, InMemoryAccountStore } from './account-store';
import { hashApiKey, isWellFormedApiKey, looksLikeApiKey } from './api-key';
import { generatePassword, hashPassword, verifyPassword } from './password-hash';
import { isRole, type Principal, type Role } from './roles';
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

/** What verify() returns: the principal, with the token's times. */
export type TokenClaims = Principal;

/** Claims of the JWTs login() issues. */
interface JwtClaims {
  sub: string;
  role: Role;
  iat: number;
  exp: number;
}

const JWT_ALGORITHM = 'HS256';

async function passwordMatches(password: string, hash: string): Promise<boolean> {
  try {
    return await verifyPassword(password, hash);
  } catch {
    return false; // a malformed stored hash matches nothing
  }
}

/**
 * Accounts (AccountStore: users with a role and a scrypt hash, API keys), logins and the one verify path for
 * tokens and keys (HTTP guard, WebSocket upgrade, API_DOCS=auth, cluster forwarding).
 *
 * The first admin: ADMIN_USER with ADMIN_PASSWORD, made or reset as admin at every start while ADMIN_PASSWORD is
 * set (the recovery path); without it, on the first start with no user, a generated password whose scrypt hash also
 * lives in SecretStore (nodes starting together agree on it). JWT secret: JWT_SECRET, else generated once and kept
 * in SecretStore.
 *
 * A JWT carries `sub` (user name) and `role`, but verify() trusts neither blindly: it reads the user from the
 * AccountStore (cached AUTH_CACHE_TTL_MS), so a deleted user's token stops working and a role change applies within
 * that bound on every node, at once on the node that made the change.
 */
@Injectable()
export class AuthService {
  private initPromise?: Promise<AuthInitResult>;
  private jwtSecret = '';
  /** Checked against for unknown user names, so they cost the same scrypt as known ones. */
  private dummyHash?: Promise<string>;
  private readonly accounts: AccountStore;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(SecretStore) private readonly secrets: SecretStore,
    @Inject(JwtService) private readonly jwt: JwtService,
    @Optional() @Inject(AccountStore) accounts?: AccountStore,
  ) {
    this.accounts = accounts ?? new InMemoryAccountStore();
  }

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
    const username = this.config.ADMIN_USER;
    if (this.config.ADMIN_PASSWORD !== undefined) {
      const password = this.config.ADMIN_PASSWORD;
      const existing = await this.accounts.getUser(username, true);
      if (!existing || existing.role !== 'admin' || !(await passwordMatches(password, existing.passwordHash))) {
        await this.accounts.putUser({ username, passwordHash: await hashPassword(password), role: 'admin' });
      }
    } else if ((await this.accounts.countUsers()) === 0) {
      const stored = await this.secrets.get(SECRET_KEY_ADMIN_PASSWORD_HASH);
      let passwordHash = stored;
      if (!passwordHash) {
        const password = generatePassword();
        const mine = await hashPassword(password);
        // Nodes starting together on one database: the first hash stored wins, and only its node shows the password.
        passwordHash = await this.secrets.getOrCreate(SECRET_KEY_ADMIN_PASSWORD_HASH, () => mine);
        if (passwordHash === mine) result.generatedPassword = password;
      }
      await this.accounts.createUser({ username, passwordHash, role: 'admin' });
    }
    if (this.config.JWT_SECRET !== undefined) {
      this.jwtSecret = this.config.JWT_SECRET;
    } else {
      // getOrCreate: nodes starting together on one database all end up with the first secret stored.
      this.jwtSecret = await this.secrets.getOrCreate(SECRET_KEY_JWT_SECRET, () => randomBytes(48).toString('base64url'));
    }
    return result;
  }

  /**
   * Checks the credentials (an unknown user costs the same scrypt check as a known one) and issues a token whose
   * claims carry `sub` and `role`.
   */
  async login(username: string, password: string): Promise<AccessToken> {
    await this.init();
    const user = await this.accounts.getUser(username, true);
    this.dummyHash ??= hashPassword(generatePassword());
    const passwordOk = await passwordMatches(password, user?.passwordHash ?? (await this.dummyHash));
    if (!(user && passwordOk)) throw new GatewayError('UNAUTHORIZED', 'Invalid username or password');
    const expiresIn = this.config.JWT_TTL_S;
    const accessToken = await this.jwt.signAsync({ sub: user.username, role: user.role }, { secret: this.jwtSecret, expiresIn, algorithm: JWT_ALGORITHM });
    return { accessToken, expiresIn };
  }

  /**
   * The one verify path: a JWT from login() or an API key (`gbk_…`). Throws GatewayError UNAUTHORIZED when it is
   * missing, malformed, forged, expired, revoked, or its user no longer exists. The role returned is the one stored
   * now. For an API key, `exp` is JWT_TTL_S from now: how long a WebSocket opened with it stays open.
   */
  async verify(token: string | undefined | null): Promise<TokenClaims> {
    if (!token) throw new GatewayError('UNAUTHORIZED', 'Missing bearer token');
    await this.init();
    if (looksLikeApiKey(token)) return this.verifyApiKey(token);
    let claims: JwtClaims;
    try {
      claims = await this.jwt.verifyAsync<JwtClaims>(token, { secret: this.jwtSecret, algorithms: [JWT_ALGORITHM] });
      if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number') throw new Error('claims missing');
    } catch (err) {
      const expired = err instanceof Error && err.name === 'TokenExpiredError';
      throw new GatewayError('UNAUTHORIZED', expired ? 'Token expired' : 'Invalid token', undefined, { cause: err });
    }
    const user = await this.accounts.getUser(claims.sub);
    if (!user || !isRole(user.role)) throw new GatewayError('UNAUTHORIZED', 'User no longer exists');
    return { sub: user.username, role: user.role, kind: 'user', iat: claims.iat, exp: claims.exp };
  }

  private async verifyApiKey(key: string): Promise<TokenClaims> {
    const found = isWellFormedApiKey(key) ? await this.accounts.getApiKey(hashApiKey(key)) : null;
    if (!found || !isRole(found.role)) throw new GatewayError('UNAUTHORIZED', 'Invalid or revoked API key');
    return { sub: `key:${found.name}`, role: found.role, kind: 'key', exp: Math.floor(Date.now() / 1000) + this.config.JWT_TTL_S };
  }
}
