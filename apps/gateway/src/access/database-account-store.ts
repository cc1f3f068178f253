import { Inject, Injectable } from '@nestjs/common';
import type { Database } from '@gb/persistence';
import { AccountStore, type StoredApiKey, type StoredUser } from '../auth/account-store';
import { isRole } from '../auth/roles';
import { TtlCache } from '../auth/ttl-cache';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { DATABASE } from '../database/database.providers';

/** Most users and keys (found or not) one node keeps in its cache. */
export const AUTH_CACHE_MAX_ENTRIES = 10_000;

/**
 * Users and API keys from the database shared by every node, each read (a miss too) cached AUTH_CACHE_TTL_MS, at
 * most AUTH_CACHE_MAX_ENTRIES of them (the oldest go first).
 * Other nodes' changes show after at most that TTL; forget() applies this node's at once.
 */
@Injectable()
export class DatabaseAccountStore extends AccountStore {
  private readonly users: TtlCache<string, StoredUser | null>;
  private readonly keys: TtlCache<string, StoredApiKey | null>;

  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(GATEWAY_CONFIG) cfg: GatewayConfig,
  ) {
    super();
    this.users = new TtlCache(cfg.AUTH_CACHE_TTL_MS, AUTH_CACHE_MAX_ENTRIES);
    this.keys = new TtlCache(cfg.AUTH_CACHE_TTL_MS, AUTH_CACHE_MAX_ENTRIES);
  }

  getUser(username: string, fresh = false): Promise<StoredUser | null> {
    const load = async (): Promise<StoredUser | null> => {
      const u = await this.db.users.get(username);
      return u && isRole(u.role) ? { username: u.username, passwordHash: u.passwordHash, role: u.role } : null;
    };
    return fresh ? load() : this.users.get(username, load);
  }

  countUsers(): Promise<number> {
    return this.db.users.count();
  }

  async createUser(u: StoredUser): Promise<boolean> {
    const created = await this.db.users.create(u);
    this.forget();
    return created;
  }

  async putUser(u: StoredUser): Promise<void> {
    await this.db.users.put(u);
    this.forget();
  }

  getApiKey(keyHash: string): Promise<StoredApiKey | null> {
    return this.keys.get(keyHash, async () => {
      const k = await this.db.apiKeys.findByHash(keyHash);
      return k && isRole(k.role) ? { id: k.id, name: k.name, role: k.role } : null;
    });
  }

  override forget(): void {
    this.users.clear();
    this.keys.clear();
  }
}
