import { describe, expect, it } from 'vitest';
import type { ChannelDto, DeviceDto } from '@gb/contracts';
import { civilLevels, flatten, forestByDevice, forestByRegion, type ForestNode } from '../../web/src/tree/channel-forest';
import { buildChannelTree } from '../../web/src/channel-tree';
import { roleMay } from '../../web/src/role-policy';

const ch = (deviceId: string, channelId: string, o: Partial<ChannelDto> = {}): ChannelDto => ({
  channelId, deviceId, name: null, status: 'ON', parentId: deviceId, businessGroupId: null, kind: 'channel', isDirectory: false, civilCode: null, manufacturer: null, model: null, address: null, ipAddress: null, longitude: null, latitude: null, ptzType: null, ...o,
});
const dev = (deviceId: string, online: boolean) => ({ deviceId, name: null, online }) as DeviceDto;
/** A directory item as the gateway lists it (kind set, isDirectory true). */
const dir = (deviceId: string, channelId: string, kind: ChannelDto['kind'], o: Partial<ChannelDto> = {}) => ch(deviceId, channelId, { kind, isDirectory: true, ...o });
const shape = (n: ForestNode): unknown => [n.code, n.kind, `${n.on}/${n.total}`, ...(n.children.length ? [n.children.map(shape)] : [])];

describe('the channel tree model (web/src/tree/channel-forest.ts)', () => {
  it('civilLevels() splits a civil code into province, city, district, unit and drops trailing 00 pairs', () => {
    expect([civilLevels('110105'), civilLevels('340200'), civilLevels('33010612'), civilLevels('3'), civilLevels(null)]).toEqual([['11', '1101', '110105'], ['34', '3402'], ['33', '3301', '330106', '33010612'], [], []]);
  });

  it('a lower platform’s catalog keeps its tree: ParentID (also as a path), BusinessGroupID, CivilCode and region prefixes; directories count no camera', () => {
    const p = '34020000002000000009';
    const [bg, vo, vo2] = ['34020000002150000001', '34020000002160000001', '34020000002160000002'];
    const items = [
      ch(p, '34020000001310000001', { parentId: vo, civilCode: '340200', status: 'OFF' }),
      dir(p, '3402', 'region'),
      dir(p, '340200', 'region', { parentId: null }),
      dir(p, bg, 'business-group', { parentId: p }),
      dir(p, vo, 'virtual-organisation', { parentId: null, businessGroupId: bg }),
      dir(p, vo2, 'virtual-organisation', { parentId: vo, businessGroupId: bg }),
      ch(p, '34020000001310000002', { parentId: `${p}/${bg}/${vo2}` }),
      ch(p, '34020000001320000003', { parentId: p, civilCode: '340200' }),
    ];
    const [root] = forestByDevice([dev(p, true)], items);
    expect(shape(root!)).toEqual([p, 'device', '2/3', [
      ['3402', 'group', '1/1', [['340200', 'group', '1/1', [['34020000001320000003', 'channel', '1/1']]]]],
      [bg, 'group', '1/2', [[vo, 'group', '1/2', [['34020000001310000001', 'channel', '0/1'], [vo2, 'group', '1/1', [['34020000001310000002', 'channel', '1/1']]]]]]],
    ]]);
    // The by-region view lists the cameras only, under their civil code (or their ID's centre code).
    expect(forestByRegion(items).map(shape)).toEqual([['34', 'region', '2/3', [['3402', 'region', '2/3', [['34020000001310000001', 'channel', '0/1'], ['34020000001310000002', 'channel', '1/1'], ['34020000001320000003', 'channel', '1/1']]]]]]);
    // Every item appears once, also with a ParentID cycle through a BusinessGroupID.
    const cyclic = [dir(p, bg, 'business-group', { parentId: vo }), dir(p, vo, 'virtual-organisation', { businessGroupId: bg, parentId: null })];
    expect(buildChannelTree(cyclic).map((t) => [t.item.channelId, t.children.map((k) => k.item.channelId)])).toEqual([[vo, [bg]]]);
  });

  it('forestByDevice() nests a business group’s cameras under it and counts ON/total per node, the group itself not counted', () => {
    const d = '34020000001320000001';
    const group = '34020000002150000001';
    const roots = forestByDevice([dev(d, true)], [dir(d, group, 'business-group', { name: 'Group' }), ch(d, '34020000001310000001', { parentId: `${d}/${group}` }), ch(d, '34020000001310000002', { parentId: group, status: 'OFF' }), ch(d, '34020000001310000003')]);
    expect(roots).toHaveLength(1);
    expect([roots[0]!.on, roots[0]!.total]).toEqual([2, 3]);
    const g = roots[0]!.children.find((n) => n.code === group)!;
    expect([g.kind, g.on, g.total, g.children.length]).toEqual(['group', 1, 2, 2]);
  });

  it('forestByRegion() builds regions from civil-code prefixes; flatten() hides collapsed children and, with a search, keeps matches and their ancestors only', () => {
    const roots = forestByRegion([ch('a', '1', { civilCode: '330106', name: 'East gate' }), ch('a', '2', { civilCode: '330108', status: 'OFF' }), ch('b', '3', { civilCode: '320102' })]);
    expect(roots.map((r) => [r.code, r.on, r.total])).toEqual([['32', 1, 1], ['33', 1, 2]]);
    expect(flatten(roots, new Set()).map((r) => r.node.code)).toEqual(['32', '3201', '320102', '3', '33', '3301', '330106', '1', '330108', '2']);
    expect(flatten(roots, new Set(['r:33'])).map((r) => r.node.code)).toEqual(['32', '3201', '320102', '3', '33']);
    expect(flatten(roots, new Set(['r:33']), 'east').map((r) => [r.node.code, r.depth])).toEqual([['33', 0], ['3301', 1], ['330106', 2], ['1', 3]]);
  });

  it('roleMay(): a viewer may use no control, an operator no device edit/delete, superior platform or stream proxy edit or admin page, an admin everything', () => {
    const caps = ['ptz', 'ack', 'catalogSync', 'watch', 'roiEdit', 'deviceEdit', 'deviceDelete', 'platformEdit', 'proxyEdit', 'admin'] as const;
    expect(caps.filter((c) => roleMay('viewer', c))).toEqual([]);
    expect(caps.filter((c) => roleMay('operator', c))).toEqual(['ptz', 'ack', 'catalogSync', 'watch', 'roiEdit']);
    expect(caps.filter((c) => roleMay('admin', c))).toEqual([...caps]);
    expect(roleMay('root', 'ptz')).toBe(false);
  });
});
