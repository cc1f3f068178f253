import type { Database } from '@gb/persistence';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.schema';
import { DatabaseAccountStore } from './database-account-store';

/** A database whose api_keys and users tables are maps, counting reads (what another node would change under us). */
function fakeDb() {
  const keys = new Map<string, { id: string; name: string; role: string }>();
  const users = new Map<string, { username: string; passwordHash: string; role: string }>();
  let reads = 0;
  const db = {
    apiKeys: { findByHash: async (h: string) => (reads++, keys.get(h) ?? null) },
    users: { get: async (u: string) => (reads++, users.get(u) ?? null) },
  } as unknown as Database;
  return { db, keys, users, reads: () => reads };
}

describe('DatabaseAccountStore', () => {
  it('a key revoked by another node is still accepted from the cache, and refused once AUTH_CACHE_TTL_MS has passed', async () => {
    const f = fakeDb();
    const store = new DatabaseAccountStore(f.db, loadConfig({ AUTH_CACHE_TTL_MS: '100' }));
    f.keys.set('h1', { id: 'k1', name: 'vms', role: 'viewer' });
    expect(await store.getApiKey('h1')).toMatchObject({ name: 'vms' });
    f.keys.delete('h1');
    expect(await store.getApiKey('h1')).toMatchObject({ name: 'vms' });
    expect(f.reads()).toBe(1);
    await new Promise((r) => setTimeout(r, 120));
    expect(await store.getApiKey('h1')).toBeNull();
  });

  it('a role changed elsewhere applies after the TTL; forget() applies it at once; fresh reads bypass the cache', async () => {
    const f = fakeDb();
    const store = new DatabaseAccountStore(f.db, loadConfig({ AUTH_CACHE_TTL_MS: '60000' }));
    f.users.set('vera', { username: 'vera', passwordHash: 'h', role: 'viewer' });
    expect((await store.getUser('vera'))?.role).toBe('viewer');
    f.users.get('vera')!.role = 'operator';
    expect((await store.getUser('vera'))?.role).toBe('viewer');
    expect((await store.getUser('vera', true))?.role).toBe('operator');
    store.forget();
    expect((await store.getUser('vera'))?.role).toBe('operator');
    f.users.get('vera')!.role = 'root';
    store.forget();
    expect(await store.getUser('vera')).toBeNull();
  });

  it('AUTH_CACHE_TTL_MS above 60 s is refused at boot', () => {
    expect(() => loadConfig({ AUTH_CACHE_TTL_MS: '600000' })).toThrow(/AUTH_CACHE_TTL_MS/);
  });
});
