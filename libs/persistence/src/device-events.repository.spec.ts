import { describe, expect, it } from 'vitest';
import { specDatabase } from './testing/spec-database';
import type { NewDeviceAlarm } from './repositories/device-alarm.repository';

const spec = specDatabase('gb-device-events-db-');

const at = (s: string) => new Date(`2026-12-03T${s}.000Z`);
const DEV = '34020000001110000001';
const CH = '34020000001320000001';
const alarm = (id: string, received: string, extra: Partial<NewDeviceAlarm> = {}): NewDeviceAlarm => ({
  id: `00000000-0000-4000-8000-00000000000${id}`, deviceId: DEV, channelId: CH, priority: '1', method: '5', type: '2',
  time: '2026-12-03T08:00:00', description: '视频丢失', longitude: null, latitude: null, receivedAt: at(received), ...extra,
});

describe('DeviceAlarmRepository and ChannelPositionRepository (migration 1797033600000)', () => {
  it('the hand-written migration and the entities agree (no pending change)', async () => {
    const pending = await spec.db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('list() is newest first with filters and keyset paging; acknowledge() and clear() happen once; state filters follow', async () => {
    const r = spec.db.deviceAlarms;
    await r.add(alarm('1', '10:00:00'));
    await r.add(alarm('2', '10:00:01', { priority: '2', method: '6', channelId: DEV, longitude: 120.5, latitude: 30.25 }));
    await r.add(alarm('3', '10:00:01'));
    await r.add(alarm('4', '10:00:02', { deviceId: '34020000001110000002', channelId: '34020000001320000002' }));
    const ids = (rows: { id: string }[]) => rows.map((a) => a.id.slice(-1));
    expect(ids(await r.list())).toEqual(['4', '3', '2', '1']);
    expect(ids(await r.list({ deviceId: DEV }))).toEqual(['3', '2', '1']);
    expect(ids(await r.list({ channelId: CH, priority: '1', method: '5' }))).toEqual(['3', '1']);
    expect(ids(await r.list({ from: at('10:00:01'), to: at('10:00:02') }))).toEqual(['3', '2']);
    // Pages of two, each after the previous page's last row: same-time rows are neither lost nor repeated.
    const first = await r.list({ limit: 2 });
    const second = await r.list({ limit: 2, before: { receivedAt: first[1]!.receivedAt, id: first[1]!.id } });
    expect([...ids(first), ...ids(second)]).toEqual(['4', '3', '2', '1']);
    expect((await r.get(alarm('2', '').id!))).toMatchObject({ longitude: 120.5, latitude: 30.25, description: '视频丢失', ackedAt: null });

    const acked = await r.acknowledge(alarm('1', '').id!, 'op1', at('11:00:00'));
    expect(acked).toMatchObject({ ackedBy: 'op1', ackedAt: at('11:00:00'), clearedAt: null });
    expect(await r.acknowledge(alarm('1', '').id!, 'op2', at('12:00:00'))).toMatchObject({ ackedBy: 'op1', ackedAt: at('11:00:00') });
    expect(await r.clear(alarm('2', '').id!, 'admin', at('11:30:00'))).toMatchObject({ clearedBy: 'admin', clearedAt: at('11:30:00') });
    expect(await r.acknowledge('00000000-0000-4000-8000-0000000000ff', 'op1', at('11:00:00'))).toBeNull();
    expect(ids(await r.list({ state: 'open' }))).toEqual(['4', '3']);
    expect(ids(await r.list({ state: 'acknowledged' }))).toEqual(['1']);
    expect(ids(await r.list({ state: 'cleared' }))).toEqual(['2']);

    expect(await r.deleteReceivedBefore(at('10:00:01'))).toBe(1);
    expect(await r.deleteReceivedBefore(at('10:00:05'), 2)).toBe(2);
    expect(ids(await r.list())).toEqual(['4']);
  });

  it('positions: list() oldest first within [from, to), the latest `limit` when more match; latest() per channel; deleteBefore()', async () => {
    const p = spec.db.positions;
    const pos = (ch: string, time: string, lon: number) => ({ channelId: ch, deviceId: DEV, time: at(time), longitude: lon, latitude: 30, speed: 12.5, direction: 90, altitude: null, receivedAt: at(time) });
    await p.add(pos(CH, '10:00:10', 120.02));
    await p.add(pos(CH, '10:00:00', 120.0));
    await p.add(pos(CH, '10:00:05', 120.01));
    await p.add(pos('34020000001320000009', '09:00:00', 121));
    const lons = (rows: { longitude: number }[]) => rows.map((r) => r.longitude);
    expect(lons(await p.list(CH))).toEqual([120.0, 120.01, 120.02]);
    expect(lons(await p.list(CH, { from: at('10:00:05') }))).toEqual([120.01, 120.02]);
    expect(lons(await p.list(CH, { to: at('10:00:05') }))).toEqual([120.0]);
    expect(lons(await p.list(CH, { limit: 2 }))).toEqual([120.01, 120.02]);
    const latest = await p.latest([CH, '34020000001320000009', '34020000001320000077']);
    expect([...latest.keys()].sort()).toEqual([CH, '34020000001320000009']);
    expect(latest.get(CH)).toMatchObject({ longitude: 120.02, speed: 12.5, direction: 90, altitude: null });
    expect(await p.latest([])).toEqual(new Map());
    expect(await p.deleteBefore(at('10:00:01'))).toBe(2);
    expect(lons(await p.list(CH))).toEqual([120.01, 120.02]);
  });
});
