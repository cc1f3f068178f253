import { describe, expect, it } from 'vitest';
import { isPersistenceError } from './persistence-error';
import { registration } from './repository.contract';
import { specDatabase } from './testing/spec-database';

const spec = specDatabase('gb-sub-settings-db-');
const DEV = '34020000001110000001';

describe('DeviceSubscriptionSettingsRepository (migration 1797120000000)', () => {
  it('the hand-written migration and the entity agree (no pending change)', async () => {
    const pending = await spec.db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('put() creates then replaces a row, nulls kept; get() is null without one; an unknown device is DEVICE_NOT_FOUND; deleting the device removes it', async () => {
    const r = spec.db.subscriptionSettings;
    expect(await r.get(DEV)).toBeNull();
    await spec.db.devices.upsertRegistration(registration(DEV));
    const at = new Date('2026-12-03T08:00:00.000Z');
    expect(await r.put({ deviceId: DEV, catalog: null, alarm: true, mobilePosition: false, positionIntervalS: null, updatedAt: at })).toEqual({ deviceId: DEV, catalog: null, alarm: true, mobilePosition: false, positionIntervalS: null, updatedAt: at });
    expect(await r.put({ deviceId: DEV, catalog: false, alarm: null, mobilePosition: true, positionIntervalS: 2, updatedAt: at })).toMatchObject({ catalog: false, alarm: null, mobilePosition: true, positionIntervalS: 2 });
    const e = await r.put({ deviceId: '34020000001110000099', catalog: true, alarm: null, mobilePosition: null, positionIntervalS: null, updatedAt: at }).catch((x: unknown) => x);
    expect(isPersistenceError(e) && e.code).toBe('DEVICE_NOT_FOUND');
    await spec.db.dataSource.query(`DELETE FROM "devices" WHERE "device_id" = $1`, [DEV]);
    expect(await r.get(DEV)).toBeNull();
  });

  it('getMany() reads the rows of many devices in one query: only those that have one, by device ID', async () => {
    const r = spec.db.subscriptionSettings;
    const other = '34020000001110000002';
    const bare = '34020000001110000003';
    for (const id of [DEV, other, bare]) await spec.db.devices.upsertRegistration(registration(id));
    const at = new Date('2026-12-03T09:00:00.000Z');
    await r.put({ deviceId: DEV, catalog: true, alarm: null, mobilePosition: null, positionIntervalS: null, updatedAt: at });
    await r.put({ deviceId: other, catalog: null, alarm: false, mobilePosition: true, positionIntervalS: 5, updatedAt: at });
    const rows = await r.getMany([DEV, other, bare, '34020000001110000099']);
    expect([...rows.keys()].sort()).toEqual([DEV, other]);
    expect(rows.get(other)).toEqual({ deviceId: other, catalog: null, alarm: false, mobilePosition: true, positionIntervalS: 5, updatedAt: at });
    expect((await r.getMany([])).size).toBe(0);
  });
});
