import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Gb28181Error } from '../errors';
import { parseManscdp } from './manscdp.codec';
import type { ManscdpMessage } from './manscdp.types';

const fixture = (name: string): Buffer => readFileSync(resolve(__dirname, 'fixtures', name));

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof Gb28181Error) return e.code;
    throw e;
  }
  throw new Error('expected a Gb28181Error, nothing was thrown');
}

describe('parseManscdp() on device bodies (ok/ fixtures)', () => {
  it('Hikvision-style GB2312 catalog yields typed items with Chinese names, Info/PTZType and numbers', () => {
    const m = parseManscdp(fixture('ok/hikvision-catalog.gb2312.xml'));
    expect(m).toMatchObject({ root: 'Response', cmdType: 'Catalog', sn: 17430, deviceId: '34020000001180000001', charset: 'GB2312' });
    if (m.kind !== 'CatalogResponse') throw new Error(`kind ${m.kind}`);
    expect(m.sumNum).toBe(2);
    expect(m.droppedItems).toBe(0);
    expect(m.items).toEqual([
      {
        deviceId: '34020000001320000001',
        name: '东门路口一号',
        manufacturer: 'Hikvision',
        model: 'DS-2CD3T47EWD-L',
        owner: 'Owner',
        civilCode: '3402000000',
        block: null,
        address: 'Address',
        parental: 0,
        parentId: '34020000001180000001',
        businessGroupId: null,
        safetyWay: '0',
        registerWay: '1',
        secrecy: '0',
        ipAddress: null,
        port: null,
        status: 'ON',
        longitude: 117.2272,
        latitude: 31.8206,
        ptzType: 3,
        event: null,
      },
      expect.objectContaining({ deviceId: '34020000001320000002', name: '西门停车场', ipAddress: '192.168.1.64', port: 8000, status: 'OFF', ptzType: 1, safetyWay: null, longitude: null }),
    ]);
    // fields keeps the rest of the tree, without the header fields.
    expect(Object.keys(m.fields).sort()).toEqual(['DeviceList', 'SumNum']);
  });

  const table: { file: string; expected: Partial<ManscdpMessage> & Record<string, unknown> }[] = [
    {
      file: 'ok/dahua-keepalive.xml',
      expected: { root: 'Notify', kind: 'Keepalive', cmdType: 'Keepalive', sn: 43, deviceId: '34020000001110000001', status: 'OK' },
    },
    {
      file: 'ok/device-info.xml',
      expected: {
        root: 'Response',
        kind: 'DeviceInfoResponse',
        sn: 2,
        deviceName: 'NVR-大厅',
        manufacturer: 'Hikvision',
        model: 'DS-7608N-K2',
        firmware: 'V4.30.005 build 200416',
        channel: 8,
        result: 'OK',
      },
    },
    {
      file: 'ok/device-status.xml',
      expected: {
        kind: 'DeviceStatusResponse',
        sn: 3,
        result: 'OK',
        online: 'ONLINE',
        status: 'OK',
        encode: 'ON',
        record: 'OFF',
        deviceTime: '2024-05-06T10:11:12',
        alarmStatus: { '@Num': '1', Item: { DeviceID: '34020000001340000001', DutyStatus: 'OFFDUTY' } },
      },
    },
    { file: 'ok/media-status.xml', expected: { root: 'Notify', kind: 'MediaStatusNotify', sn: 207, notifyType: '121' } },
    {
      file: 'ok/alarm.xml',
      expected: {
        kind: 'Alarm',
        deviceId: '34020000001340000001',
        alarmPriority: '1',
        alarmMethod: '2',
        alarmTime: '2024-05-06T10:11:12',
        alarmDescription: '移动侦测',
        alarmType: '2',
        longitude: 117.1,
        latitude: 31.2,
      },
    },
    {
      file: 'ok/record-info-query.xml',
      expected: { root: 'Query', kind: 'RecordInfoQuery', sn: 21, startTime: '2024-05-06T00:00:00', endTime: '2024-05-06T23:59:59', type: 'all', secrecy: '0' },
    },
    {
      file: 'ok/catalog-notify.xml',
      expected: { root: 'Notify', kind: 'CatalogNotify', charset: 'UTF-8', sumNum: 1, items: [expect.objectContaining({ deviceId: '34020000001320000007', event: 'ADD', name: '南门' })] },
    },
  ];
  for (const { file, expected } of table) {
    it(`${file} parses to ${String(expected.kind)} with its fields`, () => {
      expect(parseManscdp(fixture(file))).toMatchObject(expected);
    });
  }

  it('RecordInfo response keeps items with both times, fills DeviceID from the message and drops the rest', () => {
    const m = parseManscdp(fixture('ok/record-info.xml'));
    if (m.kind !== 'RecordInfoResponse') throw new Error(`kind ${m.kind}`);
    expect(m.sumNum).toBe(3);
    expect(m.name).toBe('Camera 01');
    expect(m.droppedItems).toBe(1);
    expect(m.items).toEqual([
      {
        deviceId: '34020000001320000001',
        name: 'Camera 01',
        filePath: 'ch01_20240506100000',
        address: 'Address 1',
        startTime: '2024-05-06T10:00:00',
        endTime: '2024-05-06T10:30:00',
        secrecy: '0',
        type: 'time',
        recorderId: null,
        fileSize: 268435456,
      },
      expect.objectContaining({ deviceId: '34020000001320000001', type: 'alarm', recorderId: '34020000001180000001', fileSize: null }),
    ]);
  });

  it('catalog with unquoted Num=2 disagreeing with 3 items uses the items and drops the one without DeviceID', () => {
    const m = parseManscdp(fixture('ok/catalog-unquoted-num.xml'));
    if (m.kind !== 'CatalogResponse') throw new Error(`kind ${m.kind}`);
    expect(m.sumNum).toBe(3);
    expect(m.droppedItems).toBe(1);
    expect(m.items.map((i) => [i.deviceId, i.name])).toEqual([
      ['34020000001310000001', 'Channel 1'],
      ['34020000001310000003', 'A & B'],
    ]);
    expect((m.fields['DeviceList'] as Record<string, unknown>)['@Num']).toBe('2');
  });

  it('catalog with a single item and no SumNum counts the item as the total', () => {
    const body = Buffer.from('<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>d</DeviceID><DeviceList Num="1"><Item><DeviceID>34020000001320000001</DeviceID></Item></DeviceList></Response>');
    const m = parseManscdp(body);
    expect(m).toMatchObject({ kind: 'CatalogResponse', sumNum: 1, items: [{ deviceId: '34020000001320000001', name: null }] });
  });

  it('catalog with SumNum 0 and an empty DeviceList has no items', () => {
    const body = Buffer.from('<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>d</DeviceID><SumNum>0</SumNum><DeviceList Num="0"/></Response>');
    expect(parseManscdp(body)).toMatchObject({ kind: 'CatalogResponse', sumNum: 0, items: [], droppedItems: 0 });
  });

  it('field names in another case (DeviceId, sn) and a lowercase root are accepted', () => {
    const body = Buffer.from('<notify><CmdType>Keepalive</CmdType><sn>7</sn><DeviceId>34020000001320000001</DeviceId><Status>OK</Status></notify>');
    expect(parseManscdp(body)).toMatchObject({ root: 'Notify', kind: 'Keepalive', sn: 7, deviceId: '34020000001320000001' });
  });

  it('a well-formed message of an unmodelled CmdType is kind Other with its fields', () => {
    const body = Buffer.from('<Control><CmdType>DeviceControl</CmdType><SN>11</SN><DeviceID>34020000001320000001</DeviceID><PTZCmd>A50F010180000036</PTZCmd></Control>');
    const m = parseManscdp(body);
    expect(m).toMatchObject({ root: 'Control', kind: 'Other', cmdType: 'DeviceControl', sn: 11 });
    expect(m.fields).toEqual({ PTZCmd: 'A50F010180000036' });
  });

  it('comments, CDATA, character references and a tag named __proto__ are read as data', () => {
    const body = Buffer.from(
      '<?xml version="1.0"?><!-- c --><Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>x</DeviceID>' +
        '<Status><![CDATA[<OK>]]>&#x4e1c;&#38376;&bogus;</Status><__proto__><polluted>yes</polluted></__proto__></Notify>',
    );
    const m = parseManscdp(body);
    expect(m).toMatchObject({ kind: 'Keepalive', status: '<OK>东门&bogus;' });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(m.fields['__proto__']).toEqual({ polluted: 'yes' });
  });
});

describe('parseManscdp() on broken bodies (not-ok/ fixtures)', () => {
  const table: [string, string][] = [
    ['not-ok/truncated-catalog.xml', 'MANSCDP_BAD_XML'],
    ['not-ok/mismatched-tags.xml', 'MANSCDP_BAD_XML'],
    ['not-ok/missing-sn.xml', 'MANSCDP_MISSING_FIELD'],
    ['not-ok/foreign-root.xml', 'MANSCDP_NO_ROOT'],
    ['not-ok/billion-laughs.xml', 'MANSCDP_DTD_FORBIDDEN'],
    ['not-ok/external-entity.xml', 'MANSCDP_DTD_FORBIDDEN'],
  ];
  for (const [file, code] of table) {
    it(`${file} throws ${code}`, () => {
      expect(codeOf(() => parseManscdp(fixture(file)))).toBe(code);
    });
  }

  const inline: [string, string, string][] = [
    ['empty body', '', 'MANSCDP_NO_ROOT'],
    ['prolog only', '<?xml version="1.0"?>\r\n', 'MANSCDP_NO_ROOT'],
    ['text only', 'hello', 'MANSCDP_BAD_XML'],
    ['no CmdType', '<Notify><SN>1</SN><DeviceID>x</DeviceID></Notify>', 'MANSCDP_MISSING_FIELD'],
    ['no DeviceID', '<Notify><CmdType>Keepalive</CmdType><SN>1</SN></Notify>', 'MANSCDP_MISSING_FIELD'],
    ['non-numeric SN', '<Notify><CmdType>Keepalive</CmdType><SN>1x</SN><DeviceID>x</DeviceID></Notify>', 'MANSCDP_MISSING_FIELD'],
    ['root is text', '<Notify>Keepalive</Notify>', 'MANSCDP_MISSING_FIELD'],
    ['two roots', '<Notify><CmdType>K</CmdType><SN>1</SN><DeviceID>x</DeviceID></Notify><Notify/>', 'MANSCDP_BAD_XML'],
    ['unterminated attribute', '<Notify a="1><CmdType>K</CmdType></Notify>', 'MANSCDP_BAD_XML'],
    ['lowercase doctype', '<!doctype Notify><Notify/>', 'MANSCDP_DTD_FORBIDDEN'],
    ['entity declaration without doctype', '<Notify><!ENTITY a "b"></Notify>', 'MANSCDP_DTD_FORBIDDEN'],
  ];
  for (const [what, xml, code] of inline) {
    it(`${what} throws ${code}`, () => {
      expect(codeOf(() => parseManscdp(Buffer.from(xml)))).toBe(code);
    });
  }

  it('trailing NUL padding after the root element is tolerated', () => {
    const body = Buffer.concat([Buffer.from('<Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>x</DeviceID></Notify>\r\n'), Buffer.alloc(4)]);
    expect(parseManscdp(body).kind).toBe('Keepalive');
  });
});

describe('parseManscdp: canonical keepalives (read without the element tree)', () => {
  const bodies = [
    '<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>43</SN>\r\n<DeviceID>34020000001320000001</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n',
    '<?xml version="1.0" encoding="UTF-8"?><Notify><CmdType>Keepalive</CmdType><SN>0</SN><DeviceID>abc123</DeviceID><Status>ERROR</Status></Notify>',
    '<Notify>\n\t<CmdType>Keepalive</CmdType>\n\t<SN>999999999999999</SN>\n\t<DeviceID>34020000001320000001</DeviceID>\n\t<Status>OK</Status>\n</Notify>\n',
  ];
  // A comment after <Notify> is legal XML the fast path does not take: the full parser reads the same document.
  const slow = (b: string) => b.replace('<Notify>', '<Notify><!-- full parser -->');

  it('give exactly what the full parser gives, under every charset setting', () => {
    for (const b of bodies) {
      for (const charset of [undefined, 'auto', 'GB2312', 'UTF-8', 'GB18030'] as const) {
        const fast = parseManscdp(Buffer.from(b, 'latin1'), { charset });
        const full = parseManscdp(Buffer.from(slow(b), 'latin1'), { charset });
        expect(fast).toEqual(full);
        expect(fast.kind).toBe('Keepalive');
      }
    }
  });

  it('anything else goes to the full parser: other case, extra elements, entities, a bad SN', () => {
    const lower = parseManscdp(Buffer.from('<Notify><CmdType>keepalive</CmdType><SN>1</SN><DeviceID>34020000001320000001</DeviceID><Status>OK</Status></Notify>'));
    expect(lower).toMatchObject({ kind: 'Keepalive', cmdType: 'keepalive', status: 'OK' });
    const extra = parseManscdp(Buffer.from('<Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>34020000001320000001</DeviceID><Status>OK</Status><Info><DeviceID>1</DeviceID></Info></Notify>'));
    expect(extra).toMatchObject({ kind: 'Keepalive', status: 'OK' });
    expect(extra.fields['Info']).toBeDefined();
    expect(parseManscdp(Buffer.from('<Notify><CmdType>Keepalive</CmdType><SN>1</SN><DeviceID>34020000001320000001</DeviceID><Status>O&amp;K</Status></Notify>'))).toMatchObject({ status: 'O&K' });
    expect(() => parseManscdp(Buffer.from('<Notify><CmdType>Keepalive</CmdType><SN>1x</SN><DeviceID>34020000001320000001</DeviceID><Status>OK</Status></Notify>'))).toThrow();
  });
});
