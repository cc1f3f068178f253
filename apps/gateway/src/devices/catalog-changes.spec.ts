import { describe, expect, it } from 'vitest';
import type { GatewayEvent } from '@gb/contracts';
import type { CatalogItem } from '@gb/gb28181';
import type { ChannelEntity, ChannelRow, Database } from '@gb/persistence';
import type { GatewayConfig } from '../config/config.schema';
import { EventBus } from '../events/event-bus';
import { CatalogSyncService, MAX_PENDING_CATALOG_CHANGES } from './catalog-sync.service';
import type { DevicesService } from './devices.service';

const DEVICE = '34020000002000000009';
const item = (deviceId: string, event: string | null, o: Partial<CatalogItem> = {}): CatalogItem => ({
  deviceId, name: null, manufacturer: null, model: null, owner: null, civilCode: null, block: null, address: null, parental: null, parentId: null,
  safetyWay: null, registerWay: null, secrecy: null, ipAddress: null, port: null, status: null, longitude: null, latitude: null, ptzType: null, event, ...o,
});

/** The channels table of one device in memory, behind the ChannelRepository methods applyChanges() uses. */
function fakeDb(rows: Map<string, ChannelRow>, gate?: Promise<void>) {
  const wait = () => gate ?? Promise.resolve();
  const channels = {
    deleteMany: async (_d: string, ids: readonly string[]) => (await wait(), ids.filter((id) => rows.delete(id)).length),
    upsertMany: async (_d: string, items: readonly ChannelRow[]) => {
      await wait();
      for (const r of items) rows.set(r.channelId, r);
    },
    setStatus: async (_d: string, ids: readonly string[], status: string) => {
      await wait();
      return ids.filter((id) => rows.has(id) && rows.set(id, { ...rows.get(id)!, status }));
    },
    recount: async () => [...rows.values()].filter((r) => (r.kind ?? 'channel') === 'channel').length,
    findMany: async (deviceId: string, ids: readonly string[]) => ids.filter((id) => rows.has(id)).map((id) => ({ deviceId, ...rows.get(id)! }) as unknown as ChannelEntity),
  };
  return { channels } as unknown as Database;
}

function service(rows: Map<string, ChannelRow>, gate?: Promise<void>) {
  const session = { deviceId: DEVICE, channelCount: 0 };
  const devices = { get: (id: string) => (id === DEVICE ? session : undefined), afterFlush: <T>(work: () => Promise<T>) => work() } as unknown as DevicesService;
  const events = new EventBus();
  const seen: GatewayEvent[] = [];
  events.subscribe((e) => seen.push(e));
  const sync = new CatalogSyncService({ CATALOG_GAP_TIMEOUT_MS: 1000, CATALOG_MAX_ITEMS: 1000 } as GatewayConfig, fakeDb(rows, gate), devices, events);
  return { sync, seen, session };
}

describe('CatalogSyncService.applyChanges() (catalog NOTIFY / Notify MESSAGE with Event items)', () => {
  it('OFF keeps every other column; ON for an unknown channel with a Name stores it whole, without a Name is ignored; ADD counts, DEL uncounts; one catalog.changed each', async () => {
    const rows = new Map<string, ChannelRow>([
      ['34020000002160000001', { channelId: '34020000002160000001', name: '东门片区', kind: 'virtual-organisation' }],
      ['34020000001310000001', { channelId: '34020000001310000001', name: '东门一号', status: 'ON', parentId: '34020000002160000001', kind: 'channel' }],
    ]);
    const { sync, seen, session } = service(rows);
    sync.applyChanges(DEVICE, [
      item('34020000001310000001', 'OFF'),
      item('34020000001310000002', 'ON', { name: '东门二号', parentId: '34020000002160000001' }),
      item('34020000001310000003', 'ON'),
    ]);
    await sync.settled();
    expect(rows.get('34020000001310000001')).toMatchObject({ name: '东门一号', status: 'OFF', parentId: '34020000002160000001' });
    expect(rows.get('34020000001310000002')).toMatchObject({ name: '东门二号', status: 'ON', kind: 'channel' });
    expect(rows.has('34020000001310000003')).toBe(false);
    expect(session.channelCount).toBe(2);
    sync.applyChanges(DEVICE, [item('34020000002150000009', 'ADD', { name: '新分组', parental: 1 }), item('34020000001310000002', 'DEL')]);
    await sync.settled();
    expect(rows.get('34020000002150000009')?.kind).toBe('business-group');
    expect(session.channelCount).toBe(1);
    const changed = seen.filter((e) => e.type === 'catalog.changed').map((e) => e.data);
    expect(changed.map((d) => [d.channelCount, d.changes.map((c) => `${c.channelId} ${c.event} ${c.channel?.status ?? '-'}`)])).toEqual([
      [2, ['34020000001310000001 OFF OFF', '34020000001310000002 ON ON', '34020000001310000003 ON -']],
      [1, ['34020000002150000009 ADD OFF', '34020000001310000002 DEL -']],
    ]);
  });

  it('a notification without known events changes nothing and announces nothing; a device not held here is skipped', async () => {
    const rows = new Map<string, ChannelRow>();
    const { sync, seen } = service(rows);
    expect(sync.applyChanges(DEVICE, [item('34020000001310000001', 'BOGUS')])).toBe(true);
    expect(sync.applyChanges('34020000002000000404', [item('34020000001310000001', 'ADD', { name: 'x' })])).toBe(true);
    await sync.settled();
    expect(rows.size).toBe(0);
    expect(seen.filter((e) => e.type === 'catalog.changed')).toEqual([]);
    expect(sync.stats.ignoredItems).toBe(1);
  });

  it(`refuses (false, counted) past ${MAX_PENDING_CATALOG_CHANGES} notifications waiting for the database, and takes them again once they are written`, async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const rows = new Map<string, ChannelRow>();
    const { sync } = service(rows, gate);
    for (let i = 0; i < MAX_PENDING_CATALOG_CHANGES; i++) expect(sync.applyChanges(DEVICE, [item(`3402000000131${String(i).padStart(7, '0')}`, 'ADD', { name: 'x' })])).toBe(true);
    expect(sync.canAcceptChanges()).toBe(false);
    expect(sync.applyChanges(DEVICE, [item('34020000001319999999', 'ADD', { name: 'x' })])).toBe(false);
    expect(sync.stats.dropped).toBe(1);
    open();
    await sync.settled();
    expect(rows.size).toBe(MAX_PENDING_CATALOG_CHANGES);
    expect(sync.canAcceptChanges()).toBe(true);
  });
});
