import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { encodeCatalogResponses, parseManscdp } from '@gb/gb28181';
import {
  buildSharedCatalog,
  catalogPacketLimits,
  diffCatalog,
  fitText,
  isDirectoryItem,
  isOnStatus,
  MAX_CATALOG_BODY_BYTES_UDP,
  MAX_GROUP_DEPTH,
  MAX_UPWARD_NAME_CHARS,
  packItems,
  parentOf,
  regionChain,
  regionOf,
  type SharedChannel,
  type SourceItem,
} from './shared-catalog';

const LOCAL = '34020000002000000001';
const NVR = '34020000001180000001';
const ch = (n: number, extra: Partial<SharedChannel> = {}): SharedChannel => ({
  deviceId: NVR, channelId: `3402000000131000000${n}`, name: `东门${n}`, civilCode: '340200', parentId: NVR, status: 'ON', online: true, ...extra,
});

describe('regions', () => {
  it('regionOf() takes the CivilCode, else the ID centre code, and drops trailing 00 pairs', () => {
    expect(regionOf({ channelId: 'x', civilCode: '340200' })).toBe('3402');
    expect(regionOf({ channelId: '34020100001310000001', civilCode: null })).toBe('340201');
    expect(regionOf({ channelId: '34020100001310000001', civilCode: 'not-a-code' })).toBe('340201');
    expect(regionOf({ channelId: '00000000001310000001' })).toBeNull();
    expect(regionOf({ channelId: 'camera-1' })).toBeNull();
    expect(regionChain('34020112')).toEqual(['34', '3402', '340201', '34020112']);
  });

  it('parentOf() reads the last segment of a path and ignores blanks', () => {
    expect(parentOf('a/b/34020000002160000001')).toBe('34020000002160000001');
    expect(parentOf(' 34020000002160000001 ')).toBe('34020000002160000001');
    expect(parentOf('')).toBeNull();
    expect(parentOf('///')).toBeNull();
  });

  it('isDirectoryItem(): a stored kind wins; else civil codes, 200/215/216 and NVRs with children', () => {
    expect(isDirectoryItem({ channelId: '3402' })).toBe(true);
    expect(isDirectoryItem({ channelId: '34020000002150000001' })).toBe(true);
    expect(isDirectoryItem({ channelId: '34020000002160000001' })).toBe(true);
    expect(isDirectoryItem({ channelId: '34020000002000000009' })).toBe(true);
    expect(isDirectoryItem({ channelId: NVR, parental: 1 })).toBe(true);
    expect(isDirectoryItem({ channelId: NVR, parental: 0 })).toBe(false);
    expect(isDirectoryItem({ channelId: '34020000001310000001' })).toBe(false);
    expect(isDirectoryItem({ channelId: '3402', kind: 'channel' })).toBe(false);
  });

  it('isOnStatus(): ON, ONLINE, OK, 1 and absent are on; OFF, VLOST, DEFECT are not', () => {
    for (const s of ['ON', 'online', 'OK', '1', null, undefined, '']) expect(isOnStatus(s)).toBe(true);
    for (const s of ['OFF', 'OFFLINE', 'VLOST', 'DEFECT', '0']) expect(isOnStatus(s)).toBe(false);
  });
});

describe('buildSharedCatalog()', () => {
  it('two channels of one district: regions 34 and 3402 first, then the channels under our ID with ON/OFF from online', () => {
    const items = buildSharedCatalog({ channels: [ch(1), ch(2, { online: false })], directories: new Map(), localId: LOCAL, charset: 'GB2312' });
    expect(items.map((i) => [i.deviceId, i.parentId ?? null, i.parental, i.status ?? null, i.civilCode ?? null])).toEqual([
      ['34', null, 1, null, null],
      ['3402', '34', 1, null, null],
      ['34020000001310000001', LOCAL, 0, 'ON', '3402'],
      ['34020000001310000002', LOCAL, 0, 'OFF', '3402'],
    ]);
    expect(items[2]).toMatchObject({ name: '东门1', registerWay: '1', secrecy: '0', safetyWay: '0', owner: '0' });
  });

  it('a channel under a virtual organisation: the VO with its ParentID and BusinessGroupID, the business group before it, names from the directory rows', () => {
    const BG = '34020000002150000001';
    const VO = '34020000002160000001';
    const VO2 = '34020000002160000002';
    const directories = new Map<string, SourceItem>([
      [BG, { deviceId: NVR, channelId: BG, name: '交通' }],
      [VO, { deviceId: NVR, channelId: VO, name: '东区', parentId: BG, businessGroupId: BG }],
      [VO2, { deviceId: NVR, channelId: VO2, name: '东门组', parentId: `${BG}/${VO}`, businessGroupId: BG }],
      ['3402', { deviceId: NVR, channelId: '3402', name: '芜湖市' }],
    ]);
    const items = buildSharedCatalog({ channels: [ch(1, { parentId: VO2 })], directories, localId: LOCAL, charset: 'GB2312' });
    expect(items.map((i) => [i.deviceId, i.name, i.parentId ?? null, i.businessGroupId ?? null])).toEqual([
      ['34', '34', null, null],
      ['3402', '芜湖市', '34', null],
      [BG, '交通', null, null],
      [VO, '东区', BG, BG],
      [VO2, '东门组', VO, BG],
      ['34020000001310000001', '东门1', VO2, null],
    ]);
  });

  it('a group without a directory row is named by its ID; a ParentID cycle between organisations and a deep chain end within MAX_GROUP_DEPTH', () => {
    const vo = (n: number) => `340200000021600${String(n).padStart(5, '0')}`;
    const directories = new Map<string, SourceItem>();
    directories.set(vo(1), { deviceId: NVR, channelId: vo(1), name: 'a', parentId: vo(2) });
    directories.set(vo(2), { deviceId: NVR, channelId: vo(2), name: 'b', parentId: vo(1) });
    for (let i = 10; i < 60; i++) directories.set(vo(i), { deviceId: NVR, channelId: vo(i), name: `d${i}`, parentId: vo(i + 1) });
    const items = buildSharedCatalog({ channels: [ch(1, { parentId: vo(1) }), ch(2, { parentId: vo(10) }), ch(3, { parentId: vo(99) })], directories, localId: LOCAL, charset: 'GB2312' });
    const ids = items.map((i) => i.deviceId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain(vo(1));
    expect(ids).toContain(vo(2));
    expect(items.find((i) => i.deviceId === vo(99))).toMatchObject({ name: vo(99), parental: 1 });
    // The deep chain stops: no more than MAX_GROUP_DEPTH + 1 of its organisations.
    expect(ids.filter((id) => Number(id!.slice(15)) >= 10 && Number(id!.slice(15)) < 99).length).toBeLessThanOrEqual(MAX_GROUP_DEPTH + 1);
  });

  it('the same channel twice is listed once; a name GB2312 cannot hold gets ? for the missing characters, and long names are cut', () => {
    const items = buildSharedCatalog({ channels: [ch(1, { name: '萳门😀' }), ch(1), ch(2, { name: '长'.repeat(1000) })], directories: new Map(), localId: LOCAL, charset: 'GB2312' });
    expect(items.filter((i) => i.deviceId === '34020000001310000001')).toHaveLength(1);
    expect(items.find((i) => i.deviceId === '34020000001310000001')!.name).toBe('?门?');
    expect([...items.find((i) => i.deviceId === '34020000001310000002')!.name!]).toHaveLength(MAX_UPWARD_NAME_CHARS);
    expect(fitText('萳', 'GBK')).toBe('萳');
    expect(fitText('😀', 'UTF-8')).toBe('😀');
  });
});

describe('packItems()', () => {
  it('UDP: every packet body stays within MAX_CATALOG_BODY_BYTES_UDP; the packets together carry every item once, in order, names in GB2312 bytes', () => {
    const channels = Array.from({ length: 9 }, (_, i) => ch(i + 1));
    const items = buildSharedCatalog({ channels, directories: new Map(), localId: LOCAL, charset: 'GB2312' });
    const packets = packItems(items, LOCAL, catalogPacketLimits('udp', 'GB2312'));
    expect(packets.length).toBeGreaterThan(1);
    const bodies = packets.map((p) => encodeCatalogResponses({ sn: 123456, sumNum: items.length, deviceId: LOCAL, items: p, perMessage: Math.max(1, p.length), charset: 'GB2312' })[0]!);
    for (const b of bodies) expect(b.length).toBeLessThanOrEqual(MAX_CATALOG_BODY_BYTES_UDP);
    expect(bodies[bodies.length - 1]!.includes(iconv.encode('东门9', 'gb2312'))).toBe(true);
    const back = bodies.flatMap((b) => {
      const m = parseManscdp(b);
      return m.kind === 'CatalogResponse' ? m.items.map((i) => i.deviceId) : [];
    });
    expect(back).toEqual(items.map((i) => i.deviceId));
  });

  it('TCP packs up to the item bound; no items is one empty packet; an item bigger than the budget goes alone', () => {
    const items = buildSharedCatalog({ channels: Array.from({ length: 120 }, (_, i) => ch(1, { channelId: `340200000013100${String(i).padStart(5, '0')}` })), directories: new Map(), localId: LOCAL, charset: 'GB2312' });
    const packets = packItems(items, LOCAL, catalogPacketLimits('tcp', 'GB2312'));
    expect(packets.map((p) => p.length)).toEqual([50, 50, 22]);
    expect(packItems([], LOCAL, catalogPacketLimits('udp', 'GB2312'))).toEqual([[]]);
    expect(packItems(items.slice(0, 3), LOCAL, { charset: 'GB2312', maxBodyBytes: 10, maxItems: 50 }).map((p) => p.length)).toEqual([1, 1, 1]);
  });
});

describe('diffCatalog()', () => {
  it('ADD carries the whole item (parents first), ON/OFF only the ID, UPDATE the whole item, DEL the ID (children first)', () => {
    const before = buildSharedCatalog({ channels: [ch(1), ch(2), ch(3)], directories: new Map(), localId: LOCAL, charset: 'GB2312' });
    const after = buildSharedCatalog({
      channels: [ch(1, { online: false }), ch(2, { name: '西门' }), ch(4, { civilCode: '350100' })],
      directories: new Map(), localId: LOCAL, charset: 'GB2312',
    });
    const d = diffCatalog(before, after);
    expect(d.map((i) => [i.deviceId, i.event])).toEqual([
      ['35', 'ADD'],
      ['3501', 'ADD'],
      ['34020000001310000004', 'ADD'],
      ['34020000001310000001', 'OFF'],
      ['34020000001310000002', 'UPDATE'],
      ['34020000001310000003', 'DEL'],
    ]);
    expect(d[3]).toEqual({ deviceId: '34020000001310000001', event: 'OFF' });
    expect(d[4]).toMatchObject({ name: '西门', status: 'ON', event: 'UPDATE' });
    expect(diffCatalog(after, after)).toEqual([]);
  });
});
