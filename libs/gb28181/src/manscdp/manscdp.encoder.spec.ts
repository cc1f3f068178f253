import { describe, expect, it } from 'vitest';
import { Gb28181Error } from '../errors';
import { parseManscdp } from './manscdp.codec';
import {
  encodeAlarmNotify,
  encodeCatalogResponses,
  encodeControl,
  encodeDeviceInfoResponse,
  encodeDeviceStatusResponse,
  encodeKeepalive,
  encodeMediaStatusNotify,
  encodeQuery,
  encodeRecordInfoResponses,
  escapeXml,
} from './manscdp.encoder';
import type { CatalogItem } from './manscdp.types';

const DEV = '34020000001180000001';

describe('MANSCDP encoders', () => {
  it('encodeQuery() writes the GB2312 prolog and the §9.5 catalog query exactly', () => {
    expect(encodeQuery('Catalog', 17430, DEV).toString('latin1')).toBe(
      '<?xml version="1.0" encoding="GB2312"?>\r\n<Query>\r\n<CmdType>Catalog</CmdType>\r\n<SN>17430</SN>\r\n' +
        `<DeviceID>${DEV}</DeviceID>\r\n</Query>\r\n`,
    );
  });

  it('encodeQuery() RecordInfo with extra fields parses back as a RecordInfoQuery', () => {
    const body = encodeQuery('RecordInfo', 5, '34020000001320000001', { StartTime: '2024-05-06T00:00:00', EndTime: '2024-05-06T23:59:59', Type: 'all', Secrecy: 0 });
    expect(parseManscdp(body)).toMatchObject({ kind: 'RecordInfoQuery', sn: 5, startTime: '2024-05-06T00:00:00', endTime: '2024-05-06T23:59:59', type: 'all', secrecy: '0' });
  });

  it('encodeQuery() for DeviceInfo, DeviceStatus and Catalog parses back as the matching query kinds', () => {
    expect(parseManscdp(encodeQuery('DeviceInfo', 1, DEV)).kind).toBe('DeviceInfoQuery');
    expect(parseManscdp(encodeQuery('DeviceStatus', 2, DEV)).kind).toBe('DeviceStatusQuery');
    expect(parseManscdp(encodeQuery('Catalog', 3, DEV, undefined, 'UTF-8'))).toMatchObject({ kind: 'CatalogQuery', charset: 'UTF-8', startTime: null });
  });

  it('encodeKeepalive() round-trips with Status OK', () => {
    expect(parseManscdp(encodeKeepalive(43, DEV))).toMatchObject({ root: 'Notify', kind: 'Keepalive', sn: 43, deviceId: DEV, status: 'OK', charset: 'GB2312' });
  });

  it('encodeControl() carries a PTZCmd', () => {
    const m = parseManscdp(encodeControl('DeviceControl', 9, '34020000001320000001', { PTZCmd: 'A50F010180000036' }));
    expect(m).toMatchObject({ root: 'Control', cmdType: 'DeviceControl', fields: { PTZCmd: 'A50F010180000036' } });
  });

  it('encodeCatalogResponses() splits 5 items 2 per message into 3 packets with SumNum 5 and Num 2,2,1 and round-trips names in GB2312', () => {
    const items: Partial<CatalogItem>[] = Array.from({ length: 5 }, (_, i) => ({
      deviceId: `3402000000132000000${i}`,
      name: `东门<${i}>&"路口"`,
      status: 'ON',
      parental: 0,
      ptzType: 3,
      longitude: 117.5,
    }));
    const packets = encodeCatalogResponses({ sn: 17430, deviceId: DEV, items, perMessage: 2 });
    expect(packets).toHaveLength(3);
    expect(packets.map((p) => /<DeviceList Num="(\d+)">/.exec(p.toString('latin1'))![1])).toEqual(['2', '2', '1']);
    const parsed = packets.map((p) => parseManscdp(p));
    const all = parsed.flatMap((m) => (m.kind === 'CatalogResponse' ? m.items : []));
    expect(parsed.every((m) => m.kind === 'CatalogResponse' && m.sumNum === 5 && m.sn === 17430)).toBe(true);
    expect(all.map((i) => i.name)).toEqual(items.map((i) => i.name));
    expect(all[0]).toMatchObject({ status: 'ON', parental: 0, ptzType: 3, longitude: 117.5, manufacturer: null });
  });

  it('encodeCatalogResponses() with no items sends one packet with SumNum 0 and Num 0; notify uses <Notify> with Event', () => {
    const [only, ...rest] = encodeCatalogResponses({ sn: 1, deviceId: DEV, items: [] });
    expect(rest).toHaveLength(0);
    expect(parseManscdp(only!)).toMatchObject({ kind: 'CatalogResponse', sumNum: 0, items: [] });
    const [n] = encodeCatalogResponses({ sn: 2, deviceId: DEV, items: [{ deviceId: '34020000001320000001', event: 'DEL' }], notify: true });
    expect(parseManscdp(n!)).toMatchObject({ kind: 'CatalogNotify', items: [{ deviceId: '34020000001320000001', event: 'DEL' }] });
  });

  it('encodeCatalogResponses() in GB2312 refuses a name GB2312 lacks, GB18030 carries it', () => {
    const items = [{ deviceId: '34020000001320000001', name: '萳' }];
    expect(() => encodeCatalogResponses({ sn: 1, deviceId: DEV, items })).toThrow(Gb28181Error);
    const [p] = encodeCatalogResponses({ sn: 1, deviceId: DEV, items, charset: 'GB18030' });
    expect(p!.toString('latin1')).toContain('encoding="GB18030"');
    expect(parseManscdp(p!)).toMatchObject({ charset: 'GB18030', items: [{ name: '萳' }] });
  });

  it('encodeDeviceInfoResponse() and encodeDeviceStatusResponse() round-trip', () => {
    expect(parseManscdp(encodeDeviceInfoResponse({ sn: 3, deviceId: DEV, deviceName: '大厅NVR', manufacturer: 'Sim', model: 'S1', firmware: '1.0', channel: 4 }))).toMatchObject({
      kind: 'DeviceInfoResponse',
      deviceName: '大厅NVR',
      manufacturer: 'Sim',
      model: 'S1',
      firmware: '1.0',
      channel: 4,
      result: 'OK',
    });
    expect(parseManscdp(encodeDeviceStatusResponse({ sn: 4, deviceId: DEV, record: 'ON', deviceTime: '2024-05-06T10:00:00' }))).toMatchObject({
      kind: 'DeviceStatusResponse',
      result: 'OK',
      online: 'ONLINE',
      status: 'OK',
      record: 'ON',
      encode: null,
      deviceTime: '2024-05-06T10:00:00',
    });
  });

  it('encodeRecordInfoResponses() splits records and round-trips them', () => {
    const items = Array.from({ length: 5 }, (_, i) => ({ startTime: `2024-05-06T0${i}:00:00`, endTime: `2024-05-06T0${i}:30:00`, type: 'time', fileSize: 1000 + i }));
    const packets = encodeRecordInfoResponses({ sn: 8, deviceId: '34020000001320000001', name: 'Cam', items, perMessage: 4 });
    expect(packets).toHaveLength(2);
    const recs = packets.flatMap((p) => {
      const m = parseManscdp(p);
      return m.kind === 'RecordInfoResponse' ? m.items : [];
    });
    expect(recs.map((r) => [r.startTime, r.fileSize, r.deviceId])).toEqual(items.map((r) => [r.startTime, r.fileSize, '34020000001320000001']));
  });

  it('encodeMediaStatusNotify() defaults to NotifyType 121', () => {
    expect(parseManscdp(encodeMediaStatusNotify(9, '34020000001320000001'))).toMatchObject({ kind: 'MediaStatusNotify', notifyType: '121' });
  });

  it('escapeXml() escapes the five special characters', () => {
    expect(escapeXml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
  });

  it('encoders reject a negative SN, a bad element name and perMessage 0 with MANSCDP_BAD_FIELD', () => {
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        return e instanceof Gb28181Error ? e.code : 'other';
      }
      return undefined;
    };
    expect(code(() => encodeKeepalive(-1, DEV))).toBe('MANSCDP_BAD_FIELD');
    expect(code(() => encodeQuery('Catalog', 1, DEV, { 'bad name': 1 }))).toBe('MANSCDP_BAD_FIELD');
    expect(code(() => encodeCatalogResponses({ sn: 1, deviceId: DEV, items: [], perMessage: 0 }))).toBe('MANSCDP_BAD_FIELD');
  });
});

describe('alarm messages', () => {
  it('encodeAlarmNotify() parses back as an Alarm with its fields; encodeAlarmResponse() as a Response with Result OK', async () => {
    const { encodeAlarmNotify, encodeAlarmResponse } = await import('./manscdp.encoder');
    const { parseManscdp } = await import('./manscdp.codec');
    const m = parseManscdp(encodeAlarmNotify({ sn: 7, deviceId: '34020000001310000002', priority: 2, method: 5, time: '2026-11-29T08:00:00', description: '视频丢失', longitude: 120.1, latitude: 30.2 }));
    expect(m).toMatchObject({ kind: 'Alarm', root: 'Notify', sn: 7, deviceId: '34020000001310000002', alarmPriority: '2', alarmMethod: '5', alarmTime: '2026-11-29T08:00:00', alarmDescription: '视频丢失', longitude: 120.1, latitude: 30.2 });
    const r = parseManscdp(encodeAlarmResponse(7, '34020000001310000002'));
    expect(r).toMatchObject({ root: 'Response', cmdType: 'Alarm', sn: 7, fields: { Result: 'OK' } });
  });
});

describe('what a lower platform relays upward', () => {
  it('encodeAlarmNotify() keeps string priority and method as sent and writes <Info><AlarmType>, which parses back as alarmType', () => {
    const body = encodeAlarmNotify({ sn: 9, deviceId: '34020000001310000002', priority: '1', method: '5', time: '2026-11-29T08:00:00', alarmType: 2, charset: 'GB2312' });
    expect(body.toString('latin1')).toContain('<Info>\r\n<AlarmType>2</AlarmType>\r\n</Info>');
    expect(parseManscdp(body)).toMatchObject({ kind: 'Alarm', alarmPriority: '1', alarmMethod: '5', alarmType: '2', alarmDescription: null });
  });

  it('encodeCatalogResponses() writes <BusinessGroupID> after <ParentID> for a virtual organisation', () => {
    const [body] = encodeCatalogResponses({ sn: 3, deviceId: DEV, items: [{ deviceId: '34020000002160000001', name: '东门组', parentId: '34020000002150000001', businessGroupId: '34020000002150000001' }] });
    expect(body!.toString('latin1')).toMatch(/<ParentID>34020000002150000001<\/ParentID>\r\n<BusinessGroupID>34020000002150000001<\/BusinessGroupID>/);
  });

  it('encodeRecordInfoResponses() writes <Result> only when asked (an empty ERROR answer for a device that did not answer)', () => {
    const [plain] = encodeRecordInfoResponses({ sn: 1, deviceId: DEV, items: [] });
    expect(plain!.toString('latin1')).not.toContain('<Result>');
    const [err] = encodeRecordInfoResponses({ sn: 1, deviceId: DEV, items: [], result: 'ERROR' });
    expect(parseManscdp(err!)).toMatchObject({ kind: 'RecordInfoResponse', sumNum: 0, items: [], fields: { Result: 'ERROR' } });
  });
});
