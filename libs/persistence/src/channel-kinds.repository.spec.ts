import { describe, expect, it } from 'vitest';
import { specDatabase } from './testing/spec-database';
import { ChannelKinds1796688000000 } from './migrations/1796688000000-channel-kinds';
import { registration } from './repository.contract';
import type { ChannelRow } from './repositories/channel.repository';

const spec = specDatabase('gb-channel-kinds-db-');

const PLATFORM = '34020000002000000009';
/** A lower platform's catalog: a region, a business group, a virtual organisation, an NVR and four channels. */
const tree: ChannelRow[] = [
  { channelId: '340200', name: '合肥市', parental: 1, kind: 'region' },
  { channelId: '34020000002150000001', name: '交通卡口', parental: 1, parentId: PLATFORM, kind: 'business-group' },
  { channelId: '34020000002160000001', name: '东门片区', parental: 1, businessGroupId: '34020000002150000001', kind: 'virtual-organisation' },
  { channelId: '34020000001180000001', name: 'NVR', parental: 1, parentId: '34020000002160000001', kind: 'device' },
  ...[1, 2, 3, 4].map((n) => ({ channelId: `3402000000131000000${n}`, name: `摄像机${n}`, parentId: '34020000002160000001', status: 'ON', kind: 'channel' })),
];

describe('channels: kinds and business groups (migration 1796688000000)', () => {
  it('the hand-written migration and ChannelEntity agree (no pending change)', async () => {
    const pending = await spec.db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('replaceCatalogs() and replaceForDevice() count channels only, not directories; kind and businessGroupId are stored', async () => {
    await spec.db.devices.upsertRegistration(registration(PLATFORM));
    expect(await spec.db.channels.replaceCatalogs([{ deviceId: PLATFORM, items: tree, complete: true }])).toEqual(new Map([[PLATFORM, 4]]));
    expect((await spec.db.devices.findById(PLATFORM))?.channelCount).toBe(4);
    expect(await spec.db.channels.replaceForDevice(PLATFORM, tree, { complete: true })).toBe(4);
    const vo = await spec.db.channels.findOne(PLATFORM, '34020000002160000001');
    expect(vo).toMatchObject({ kind: 'virtual-organisation', businessGroupId: '34020000002150000001', parental: 1 });
    // A row written without a kind is a channel.
    await spec.db.channels.upsertMany(PLATFORM, [{ channelId: 'CAM9', name: 'plain' }]);
    expect((await spec.db.channels.findOne(PLATFORM, 'CAM9'))?.kind).toBe('channel');
  });

  it('setStatus() changes only the status of the rows that exist and returns their IDs; findMany() reads them; recount() stores the count', async () => {
    const changed = await spec.db.channels.setStatus(PLATFORM, ['34020000001310000001', '34020000001310000002', '34020000001319999999'], 'OFF');
    expect(changed.sort()).toEqual(['34020000001310000001', '34020000001310000002']);
    const rows = await spec.db.channels.findMany(PLATFORM, ['34020000001310000001', '34020000001310000003', '34020000001319999999']);
    expect(rows.map((r) => [r.channelId, r.status, r.name])).toEqual([['34020000001310000001', 'OFF', '摄像机1'], ['34020000001310000003', 'ON', '摄像机3']]);
    expect(await spec.db.channels.setStatus(PLATFORM, [], 'ON')).toEqual([]);
    expect(await spec.db.channels.deleteMany(PLATFORM, ['34020000001310000004', 'CAM9'])).toBe(2);
    expect(await spec.db.channels.recount(PLATFORM)).toBe(3);
    expect((await spec.db.devices.findById(PLATFORM))?.channelCount).toBe(3);
    expect(await spec.db.channels.recount('34020000002000000404')).toBeNull();
  });

  it('the migration gives rows stored before it their kind by the ID rule and recounts their devices', async () => {
    const runner = spec.db.dataSource.createQueryRunner();
    try {
      const m = new ChannelKinds1796688000000();
      await m.down(runner);
      await m.up(runner);
    } finally {
      await runner.release();
    }
    const kinds = Object.fromEntries((await spec.db.channels.listByDevice(PLATFORM)).map((r) => [r.channelId, r.kind]));
    expect(kinds).toEqual({
      '340200': 'region',
      '34020000002150000001': 'business-group',
      '34020000002160000001': 'virtual-organisation',
      '34020000001180000001': 'device',
      '34020000001310000001': 'channel',
      '34020000001310000002': 'channel',
      '34020000001310000003': 'channel',
    });
    expect((await spec.db.devices.findById(PLATFORM))?.channelCount).toBe(3);
  });
});
