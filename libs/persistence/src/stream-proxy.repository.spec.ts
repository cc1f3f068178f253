import { describe, expect, it } from 'vitest';
import { specDatabase } from './testing/spec-database';
import type { NewStreamProxy } from './repositories/stream-proxy.repository';

const spec = specDatabase('gb-proxies-db-');

const base = (id: string, extra: Partial<NewStreamProxy> = {}): NewStreamProxy => ({
  id, name: '东门 RTSP', url: 'rtsp://192.0.2.9:554/Streaming/Channels/101', mode: 'on-demand', username: 'admin', password: 'pw-1', pushKey: null,
  now: new Date('2026-12-02T08:00:00.000Z'), ...extra,
});

describe('StreamProxyRepository (migrations 1796774400000, 1796864400000)', () => {
  it('the hand-written migration and StreamProxyEntity agree (no pending change)', async () => {
    const pending = await spec.db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('create() numbers serials 1, 2, …; get(), getBySerial() and list() read every field back', async () => {
    const a = await spec.db.proxies.create(base('00000000-0000-4000-8000-000000000001'));
    const b = await spec.db.proxies.create(base('00000000-0000-4000-8000-000000000002', { mode: 'always', username: null, password: null, url: 'rtmp://192.0.2.9/live/a' }));
    expect(a).toMatchObject({ serial: 1, name: '东门 RTSP', mode: 'on-demand', username: 'admin', password: 'pw-1' });
    expect(b).toMatchObject({ serial: 2, mode: 'always', username: null, password: null });
    expect(await spec.db.proxies.get(a.id)).toEqual(a);
    expect(await spec.db.proxies.getBySerial(2)).toEqual(b);
    expect((await spec.db.proxies.list()).map((p) => p.serial)).toEqual([1, 2]);
  });

  it('two creates at once get distinct serials', async () => {
    const [c, d] = await Promise.all([
      spec.db.proxies.create(base('00000000-0000-4000-8000-000000000003')),
      spec.db.proxies.create(base('00000000-0000-4000-8000-000000000004')),
    ]);
    expect(new Set([c.serial, d.serial]).size).toBe(2);
  });

  it('update() changes settings and updated_at, not the serial; delete() removes; the mode check refuses others', async () => {
    const later = new Date('2026-12-02T09:00:00.000Z');
    const u = await spec.db.proxies.update('00000000-0000-4000-8000-000000000001', { name: 'n2', mode: 'always', password: null }, later);
    expect(u).toMatchObject({ serial: 1, name: 'n2', mode: 'always', password: null, updatedAt: later });
    expect(await spec.db.proxies.update('00000000-0000-4000-8000-0000000000ff', { name: 'x' }, later)).toBeUndefined();
    expect(await spec.db.proxies.delete('00000000-0000-4000-8000-000000000001')).toBe(true);
    expect(await spec.db.proxies.delete('00000000-0000-4000-8000-000000000001')).toBe(false);
    expect(await spec.db.proxies.get('00000000-0000-4000-8000-000000000001')).toBeUndefined();
    await expect(spec.db.proxies.create(base('00000000-0000-4000-8000-000000000005', { mode: 'sometimes' as never }))).rejects.toThrow();
  });

  it('a push proxy has no URL and a key; the source check refuses a push without a key, a pull with one or a push with a URL', async () => {
    const p = await spec.db.proxies.create(base('00000000-0000-4000-8000-000000000006', { mode: 'push', url: null, username: null, password: null, pushKey: 'k'.repeat(32) }));
    expect(await spec.db.proxies.get(p.id)).toMatchObject({ mode: 'push', url: null, pushKey: 'k'.repeat(32) });
    expect(await spec.db.proxies.update(p.id, { pushKey: 'n'.repeat(32) }, new Date())).toMatchObject({ pushKey: 'n'.repeat(32) });
    await expect(spec.db.proxies.create(base('00000000-0000-4000-8000-000000000007', { mode: 'push', url: null }))).rejects.toThrow();
    await expect(spec.db.proxies.create(base('00000000-0000-4000-8000-000000000008', { pushKey: 'k'.repeat(32) }))).rejects.toThrow();
    await expect(spec.db.proxies.create(base('00000000-0000-4000-8000-000000000009', { mode: 'push', pushKey: 'k'.repeat(32) }))).rejects.toThrow();
  });
});
