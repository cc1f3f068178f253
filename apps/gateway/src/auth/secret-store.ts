/**
 * Small key/value store for secrets the gateway generates itself (admin password hash, JWT secret).
 * An abstract class so it doubles as the Nest injection token; the app binds it to the database.
 */
export abstract class SecretStore {
  abstract get(key: string): Promise<string | null>;
  abstract set(key: string, value: string): Promise<void>;
  /** The stored value, else `make()` stored; processes racing on one database all get the first value stored. */
  async getOrCreate(key: string, make: () => string): Promise<string> {
    const existing = await this.get(key);
    if (existing !== null) return existing;
    await this.set(key, make());
    return (await this.get(key)) as string;
  }
}

/** Keys this module reads and writes. */
export const SECRET_KEY_ADMIN_PASSWORD_HASH = 'admin.passwordHash';
export const SECRET_KEY_JWT_SECRET = 'jwt.secret';

/** Process-local SecretStore, for tests and for running without persistence. */
export class InMemorySecretStore extends SecretStore {
  readonly entries = new Map<string, string>();

  async get(key: string): Promise<string | null> {
    return this.entries.get(key) ?? null;
  }

  async set(key: string, value: string): Promise<void> {
    this.entries.set(key, value);
  }
}
