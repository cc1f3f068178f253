import type { Role } from './roles';

export interface StoredUser {
  username: string;
  /** scrypt (password-hash.ts). */
  passwordHash: string;
  role: Role;
}

export interface StoredApiKey {
  id: string;
  name: string;
  role: Role;
}

/**
 * Where AuthService reads accounts and API keys. An abstract class so it doubles as the Nest injection token; the
 * app binds it to the database (access/database-account-store.ts, with a short-TTL cache), tests to memory.
 */
export abstract class AccountStore {
  /** `fresh`: bypass any cache (logins, the start-up admin). */
  abstract getUser(username: string, fresh?: boolean): Promise<StoredUser | null>;
  abstract countUsers(): Promise<number>;
  /** Inserts unless the name exists; true when inserted. */
  abstract createUser(u: StoredUser): Promise<boolean>;
  /** Inserts or overwrites hash and role. */
  abstract putUser(u: StoredUser): Promise<void>;
  /** The key whose SHA-256 (hex) is `keyHash`, or null. */
  abstract getApiKey(keyHash: string): Promise<StoredApiKey | null>;
  /** Drops cached reads (after a change made on this node, so it applies here at once). */
  forget(): void {}
}

/** Process-local AccountStore, for tests and the API's own test app. */
export class InMemoryAccountStore extends AccountStore {
  readonly users = new Map<string, StoredUser>();
  readonly apiKeys = new Map<string, StoredApiKey>();

  async getUser(username: string): Promise<StoredUser | null> {
    const u = this.users.get(username);
    return u ? { ...u } : null;
  }
  async countUsers(): Promise<number> {
    return this.users.size;
  }
  async createUser(u: StoredUser): Promise<boolean> {
    if (this.users.has(u.username)) return false;
    this.users.set(u.username, { ...u });
    return true;
  }
  async putUser(u: StoredUser): Promise<void> {
    this.users.set(u.username, { ...u });
  }
  async getApiKey(keyHash: string): Promise<StoredApiKey | null> {
    return this.apiKeys.get(keyHash) ?? null;
  }
}
