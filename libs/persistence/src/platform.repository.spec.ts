import { describe, expect, it } from 'vitest';
import { specDatabase } from './testing/spec-database';
import type { NewPlatform } from './repositories/platform.repository';

const spec = specDatabase('gb-platforms-db-');

const base = (id: string, extra: Partial<NewPlatform> = {}): NewPlatform => ({
  id,
  name: '指挥中心',
  serverId: '34020000002000000002',
  domain: '3402000000',
  host: '192.0.2.7',
  port: 5060,
  transport: 'udp',
  password: 'secret-1',
  localId: null,
  expiresS: 3600,
  keepaliveS: 60,
  charset: 'GB2312',
  shareAll: false,
  channels: ['34020000001320000001'],
  enabled: true,
  ownerNode: 'node-a',
  now: new Date('2026-12-01T08:00:00.000Z'),
  ...extra,
});

describe('PlatformRepository (migration 1796601600000)', () => {
  it('the hand-written migration and PlatformEntity agree (no pending change)', async () => {
    const pending = await spec.db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('create() stores every field, starts registering (disabled when not enabled), get() and listOwnedBy() read it back', async () => {
    const a = await spec.db.platforms.create(base('00000000-0000-4000-8000-000000000001'));
    const b = await spec.db.platforms.create(base('00000000-0000-4000-8000-000000000002', { enabled: false, ownerNode: 'node-b', transport: 'tcp', shareAll: true, channels: [] }));
    expect(a).toMatchObject({ state: 'registering', cause: null, name: '指挥中心', channels: ['34020000001320000001'], password: 'secret-1' });
    expect(b.state).toBe('disabled');
    expect(await spec.db.platforms.get(a.id)).toEqual(a);
    expect((await spec.db.platforms.listOwnedBy('node-b')).map((p) => p.id)).toEqual([b.id]);
    expect((await spec.db.platforms.list()).map((p) => p.id)).toEqual([a.id, b.id]);
  });

  it('update() changes settings and updated_at; recordState() changes only the state columns; adopt() only from the named owner; delete() removes the row', async () => {
    const id = '00000000-0000-4000-8000-000000000003';
    await spec.db.platforms.create(base(id));
    const later = new Date('2026-12-01T09:00:00.000Z');
    expect(await spec.db.platforms.update(id, { password: 'secret-2', enabled: false }, later)).toMatchObject({ password: 'secret-2', enabled: false, updatedAt: later });
    await spec.db.platforms.recordState(id, { state: 'failed', cause: 'PLATFORM_FORBIDDEN: 403 Forbidden', stateAt: later, lastKeepaliveAt: later });
    expect(await spec.db.platforms.get(id)).toMatchObject({ state: 'failed', cause: 'PLATFORM_FORBIDDEN: 403 Forbidden', lastKeepaliveAt: later, updatedAt: later });
    expect(await spec.db.platforms.update('00000000-0000-4000-8000-0000000000ff', { name: 'x' }, later)).toBeUndefined();
    expect(await spec.db.platforms.adopt(id, 'node-z', 'node-b')).toBe(false);
    expect(await spec.db.platforms.adopt(id, 'node-a', 'node-b')).toBe(true);
    expect((await spec.db.platforms.get(id))?.ownerNode).toBe('node-b');
    expect(await spec.db.platforms.delete(id)).toBe(true);
    expect(await spec.db.platforms.delete(id)).toBe(false);
    expect(await spec.db.platforms.get(id)).toBeUndefined();
  });
});
