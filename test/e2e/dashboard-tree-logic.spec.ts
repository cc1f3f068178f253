import { describe, expect, it } from 'vitest';
import type { ChannelDto, DeviceDto } from '@gb/contracts';
import { civilLevels, flatten, forestByDevice, forestByRegion, isGroupItem } from '../../web/src/tree/channel-forest';
import { roleMay } from '../../web/src/role-policy';

const ch = (deviceId: string, channelId: string, o: Partial<ChannelDto> = {}): ChannelDto => ({
  channelId, deviceId, name: null, status: 'ON', parentId: deviceId, businessGroupId: null, kind: 'channel', isDirectory: false, civilCode: null, manufacturer: null, model: null, address: null, ipAddress: null, longitude: null, latitude: null, ptzType: null, ...o,
});
const dev = (deviceId: string, online: boolean) => ({ deviceId, name: null, online }) as DeviceDto;

describe('the channel tree model (web/src/tree/channel-forest.ts)', () => {
  it('civilLevels() splits a civil code into province, city, district, unit and drops trailing 00 pairs', () => {
    expect([civilLevels('110105'), civilLevels('340200'), civilLevels('33010612'), civilLevels('3'), civilLevels(null)]).toEqual([['11', '1101', '110105'], ['34', '3402'], ['33', '3301', '330106', '33010612'], [], []]);
  });

  it('isGroupItem() knows business groups (215), virtual organisations (216) and civil codes from cameras (131)', () => {
    expect(['34020000002150000001', '34020000002160000001', '340200', '34020000001310000001'].map(isGroupItem)).toEqual([true, true, true, false]);
  });

  it('forestByDevice() nests a business group’s cameras under it and counts ON/total per node, the group itself not counted', () => {
    const d = '34020000001320000001';
    const group = '34020000002150000001';
    const roots = forestByDevice([dev(d, true)], [ch(d, group, { name: 'Group' }), ch(d, '34020000001310000001', { parentId: `${d}/${group}` }), ch(d, '34020000001310000002', { parentId: group, status: 'OFF' }), ch(d, '34020000001310000003')]);
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

  it('roleMay(): a viewer may use no control, an operator no device edit/delete, superior platform edit or admin page, an admin everything', () => {
    const caps = ['ptz', 'ack', 'catalogSync', 'watch', 'roiEdit', 'deviceEdit', 'deviceDelete', 'platformEdit', 'admin'] as const;
    expect(caps.filter((c) => roleMay('viewer', c))).toEqual([]);
    expect(caps.filter((c) => roleMay('operator', c))).toEqual(['ptz', 'ack', 'catalogSync', 'watch', 'roiEdit']);
    expect(caps.filter((c) => roleMay('admin', c))).toEqual([...caps]);
    expect(roleMay('root', 'ptz')).toBe(false);
  });
});
