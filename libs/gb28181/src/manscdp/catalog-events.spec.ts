import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOG_EVENTS, catalogEventOf, hasCatalogEvents, planCatalogChanges } from './catalog-events';
import { encodeManscdpText } from './charset';
import { parseManscdp } from './manscdp.codec';
import type { CatalogItem } from './manscdp.types';

const item = (deviceId: string, event: string | null, o: Partial<CatalogItem> = {}): CatalogItem => ({
  deviceId, name: null, manufacturer: null, model: null, owner: null, civilCode: null, block: null, address: null, parental: null, parentId: null,
  safetyWay: null, registerWay: null, secrecy: null, ipAddress: null, port: null, status: null, longitude: null, latitude: null, ptzType: null, event, ...o,
});

describe('catalogEventOf()', () => {
  it('reads the seven events of §A.2.5 in any case and with blanks, the field spellings DELETE / MOD / ONLINE / OFFLINE, and nothing else', () => {
    expect(['ON', 'off', ' VLOST ', 'Defect', 'ADD', 'del', 'UPDATE'].map(catalogEventOf)).toEqual([...CATALOG_EVENTS]);
    expect(['DELETE', 'mod', 'Modify', 'online', 'OFFLINE'].map(catalogEventOf)).toEqual(['DEL', 'UPDATE', 'UPDATE', 'ON', 'OFF']);
    expect(['', 'ONN', 'ADD;', '1', null, undefined].map(catalogEventOf)).toEqual([null, null, null, null, null, null]);
  });

  it('never throws and returns one of the events or null for any string', () => {
    fc.assert(fc.property(fc.string({ maxLength: 20 }), (s) => {
      const e = catalogEventOf(s);
      expect(e === null || (CATALOG_EVENTS as readonly string[]).includes(e)).toBe(true);
    }));
  });
});

describe('planCatalogChanges()', () => {
  it('sorts OFF / VLOST / ON into status changes, ADD / UPDATE into upserts, DEL into deletes; the last change of an ID wins; items without an Event are counted and ignored', () => {
    const plan = planCatalogChanges([
      item('34020000001310000001', 'OFF'),
      item('34020000001310000002', 'VLOST'),
      item('34020000001310000003', 'ADD', { name: '南门', parentId: '34020000002160000001', status: 'ON' }),
      item('34020000001310000004', 'DEL'),
      item('34020000001310000001', 'ON'),
      item('34020000001310000005', null),
      item('34020000001310000006', 'update', { name: '北门' }),
    ]);
    expect(plan.changes.map((c) => [c.channelId, c.event])).toEqual([
      ['34020000001310000002', 'VLOST'],
      ['34020000001310000003', 'ADD'],
      ['34020000001310000004', 'DEL'],
      ['34020000001310000001', 'ON'],
      ['34020000001310000006', 'UPDATE'],
    ]);
    expect(plan.upserts.map((i) => [i.deviceId, i.name, i.status])).toEqual([['34020000001310000003', '南门', 'ON'], ['34020000001310000006', '北门', null]]);
    expect(plan.deletes).toEqual(['34020000001310000004']);
    expect([...plan.statuses].map(([s, items]) => [s, items.map((i) => i.deviceId)])).toEqual([['VLOST', ['34020000001310000002']], ['ON', ['34020000001310000001']]]);
    expect(plan.ignored).toBe(1);
  });

  it('hasCatalogEvents() tells a change notification from a whole catalog pushed as Notify (no Event anywhere)', () => {
    expect(hasCatalogEvents([item('1', null), item('2', 'off')])).toBe(true);
    expect(hasCatalogEvents([item('1', null), item('2', 'BOGUS')])).toBe(false);
    expect(hasCatalogEvents([])).toBe(false);
  });

  it('reads a GB2312 NOTIFY body end to end: Event, BusinessGroupID and the Chinese name arrive in the plan', () => {
    const xml = '<?xml version="1.0" encoding="GB2312"?>\r\n<Notify><CmdType>Catalog</CmdType><SN>9</SN><DeviceID>34020000002000000009</DeviceID><SumNum>1</SumNum>' +
      '<DeviceList Num="1"><Item><DeviceID>34020000002160000002</DeviceID><Name>二分局</Name><Event>ADD</Event><Parental>1</Parental>' +
      '<ParentID>34020000002150000001</ParentID><BusinessGroupID>34020000002150000001</BusinessGroupID></Item></DeviceList></Notify>';
    const body = encodeManscdpText(xml, 'GB2312');
    expect(body.includes(Buffer.from('二分局'))).toBe(false);
    const m = parseManscdp(body, {});
    if (m.kind !== 'CatalogNotify') throw new Error(m.kind);
    const plan = planCatalogChanges(m.items);
    expect(plan.upserts).toEqual([expect.objectContaining({ deviceId: '34020000002160000002', name: '二分局', parental: 1, businessGroupId: '34020000002150000001', event: 'ADD' })]);
  });

  it('is linear and keeps one change per ID for 10,000 items with repeats', () => {
    const items = Array.from({ length: 10_000 }, (_, i) => item(String(i % 2500).padStart(20, '0'), i % 2 ? 'OFF' : 'ON'));
    const plan = planCatalogChanges(items);
    expect(plan.changes).toHaveLength(2500);
    expect(plan.ignored).toBe(0);
  });
});
