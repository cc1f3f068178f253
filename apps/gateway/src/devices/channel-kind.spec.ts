import { describe, expect, it } from 'vitest';
import { CHANNEL_KINDS } from '@gb/contracts';
import { CATALOG_ITEM_KINDS, parseManscdp, encodeManscdpText } from '@gb/gb28181';
import type { ChannelEntity } from '@gb/persistence';
import { channelDtoOf } from './devices.service';
import { channelRow } from './catalog-sync.service';

const row = (channelId: string, o: Partial<ChannelEntity> = {}) => ({ deviceId: '34020000002000000009', channelId, parental: null, kind: 'channel', ...o }) as ChannelEntity;

describe('channel kinds (issue 11 item 6: a lower platform’s directories are not channels)', () => {
  it('libs/contracts CHANNEL_KINDS is the literal of libs/gb28181 CATALOG_ITEM_KINDS', () => {
    expect([...CHANNEL_KINDS]).toEqual([...CATALOG_ITEM_KINDS]);
  });

  it('channelRow() stores each item of a platform catalog with its kind and BusinessGroupID', () => {
    const xml = '<?xml version="1.0" encoding="GB2312"?><Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>34020000002000000009</DeviceID><SumNum>4</SumNum><DeviceList Num="4">' +
      '<Item><DeviceID>340200</DeviceID><Name>合肥市</Name><Parental>1</Parental></Item>' +
      '<Item><DeviceID>34020000002150000001</DeviceID><Name>交通</Name><Parental>1</Parental><ParentID>34020000002000000009</ParentID></Item>' +
      '<Item><DeviceID>34020000002160000001</DeviceID><Name>东门</Name><Parental>1</Parental><BusinessGroupID>34020000002150000001</BusinessGroupID></Item>' +
      '<Item><DeviceID>34020000001310000001</DeviceID><Name>东门一号</Name><Parental>0</Parental><ParentID>34020000002160000001</ParentID><Status>ON</Status></Item>' +
      '</DeviceList></Response>';
    const m = parseManscdp(encodeManscdpText(xml, 'GB2312'));
    if (m.kind !== 'CatalogResponse') throw new Error(m.kind);
    expect(m.items.map(channelRow).map((r) => [r.channelId, r.kind, r.businessGroupId, r.name])).toEqual([
      ['340200', 'region', null, '合肥市'],
      ['34020000002150000001', 'business-group', null, '交通'],
      ['34020000002160000001', 'virtual-organisation', '34020000002150000001', '东门'],
      ['34020000001310000001', 'channel', null, '东门一号'],
    ]);
  });

  it('channelDtoOf() shows the stored kind and isDirectory; a row without a known kind is classified by its ID', () => {
    expect(channelDtoOf(row('34020000002160000001', { kind: 'virtual-organisation', businessGroupId: '34020000002150000001' }))).toMatchObject({ kind: 'virtual-organisation', isDirectory: true, businessGroupId: '34020000002150000001' });
    expect(channelDtoOf(row('34020000001310000001'))).toMatchObject({ kind: 'channel', isDirectory: false, businessGroupId: null });
    expect(channelDtoOf(row('3402', { kind: 'bogus' }))).toMatchObject({ kind: 'region', isDirectory: true });
    expect(channelDtoOf(row('34020000001180000001', { kind: '', parental: 1 }))).toMatchObject({ kind: 'device', isDirectory: true });
  });
});
