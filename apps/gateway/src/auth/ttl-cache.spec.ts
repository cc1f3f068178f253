import { describe, expect, it } from 'vitest';
import { TtlCache } from './ttl-cache';

describe('TtlCache', () => {
  it('get() loads once per TTL, misses (null) included, and reloads after it', async () => {
    let now = 0;
    let loads = 0;
    const c = new TtlCache<string, string | null>(5000, 10, () => now);
    const load = async () => (++loads, null);
    await c.get('k', load);
    now = 4999;
    await c.get('k', load);
    expect(loads).toBe(1);
    now = 5000;
    await c.get('k', load);
    expect(loads).toBe(2);
  });

  it('keeps at most maxEntries, dropping the oldest; a failed load is not cached; clear() empties it', async () => {
    const c = new TtlCache<number, number>(60_000, 3, () => 0);
    for (let i = 0; i < 10; i++) await c.get(i, async () => i);
    expect(c.size).toBe(3);
    await expect(c.get(99, () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(c.size).toBe(3);
    c.clear();
    expect(c.size).toBe(0);
  });
});
