import { describe, expect, it } from 'vitest';
import { Gb28181Error } from '../errors';
import {
  MAX_PRESETS_LISTED,
  MAX_PRESET_NAME_CHARS,
  controlHasResult,
  encodeConfigDownloadQuery,
  encodeConfigDownloadResponse,
  encodeDeviceConfigBasic,
  encodeDeviceControl,
  encodePresetQuery,
  encodePresetQueryResponses,
  mergePresetLists,
  presetAnswerComplete,
  readBasicParam,
  readDeviceConfigBasic,
  readPresetList,
  responseResult,
} from './device-control';
import { parseManscdp } from './manscdp.codec';
import { decodePtzCmd, encodePtzCmd } from './ptz';

const CH = '34020000001320000001';
const text = (b: Buffer) => b.toString('latin1');
const rect = { length: 1920, width: 1080, midPointX: 960, midPointY: 540, lengthX: 200, lengthY: 100 };
const response = (cmdType: string, inner: string) =>
  parseManscdp(Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><Response><CmdType>${cmdType}</CmdType><SN>7</SN><DeviceID>${CH}</DeviceID>${inner}</Response>`));

describe('encodeDeviceControl() (GB/T 28181-2016 §A.2.3.1)', () => {
  it.each([
    [{ kind: 'teleBoot' as const }, '<TeleBoot>Boot</TeleBoot>'],
    [{ kind: 'record' as const, record: true }, '<RecordCmd>Record</RecordCmd>'],
    [{ kind: 'record' as const, record: false }, '<RecordCmd>StopRecord</RecordCmd>'],
    [{ kind: 'keyframe' as const }, '<IFameCmd>Send</IFameCmd>'],
  ])('%o -> %s, parsed back as the same field', (command, el) => {
    const body = encodeDeviceControl({ sn: 5, deviceId: CH, command });
    expect(text(body)).toContain(el);
    const m = parseManscdp(body);
    expect(m).toMatchObject({ root: 'Control', cmdType: 'DeviceControl', sn: 5, deviceId: CH });
  });

  it('DragZoomIn / DragZoomOut carry the picture size, the rectangle centre and size', () => {
    const m = parseManscdp(encodeDeviceControl({ sn: 1, deviceId: CH, command: { kind: 'dragZoom', direction: 'out', ...rect } }));
    expect(m.fields['DragZoomOut']).toEqual({ Length: '1920', Width: '1080', MidPointX: '960', MidPointY: '540', LengthX: '200', LengthY: '100' });
    expect(text(encodeDeviceControl({ sn: 1, deviceId: CH, command: { kind: 'dragZoom', direction: 'in', ...rect } }))).toContain('<DragZoomIn>');
  });

  it('HomePosition: Enabled 1/0, ResetTime, PresetIndex', () => {
    const m = parseManscdp(encodeDeviceControl({ sn: 1, deviceId: CH, command: { kind: 'homePosition', enabled: true, resetTimeS: 30, presetIndex: 2 } }));
    expect(m.fields['HomePosition']).toEqual({ Enabled: '1', ResetTime: '30', PresetIndex: '2' });
  });

  it('RecordCmd and HomePosition have a Result; TeleBoot, IFameCmd and drag zoom only the 200', () => {
    expect(controlHasResult({ kind: 'record', record: true })).toBe(true);
    expect(controlHasResult({ kind: 'homePosition', enabled: false, resetTimeS: 0, presetIndex: 0 })).toBe(true);
    expect(controlHasResult({ kind: 'teleBoot' })).toBe(false);
    expect(controlHasResult({ kind: 'keyframe' })).toBe(false);
    expect(controlHasResult({ kind: 'dragZoom', direction: 'in', ...rect })).toBe(false);
  });

  it('a rectangle outside the picture, a negative or fractional number, a huge reset time, a bad DeviceID are MANSCDP_BAD_FIELD', () => {
    const bad = [
      { kind: 'dragZoom', direction: 'in', ...rect, midPointX: 1921 },
      { kind: 'dragZoom', direction: 'in', ...rect, lengthX: 0 },
      { kind: 'dragZoom', direction: 'in', ...rect, length: 1e9 },
      { kind: 'dragZoom', direction: 'up', ...rect },
      { kind: 'homePosition', enabled: true, resetTimeS: -1, presetIndex: 1 },
      { kind: 'homePosition', enabled: true, resetTimeS: 1.5, presetIndex: 1 },
      { kind: 'homePosition', enabled: true, resetTimeS: 10, presetIndex: 256 },
      { kind: 'selfDestruct' },
    ];
    for (const command of bad) expect(() => encodeDeviceControl({ sn: 1, deviceId: CH, command: command as never })).toThrow(expect.objectContaining({ code: 'MANSCDP_BAD_FIELD' }));
    expect(() => encodeDeviceControl({ sn: 1, deviceId: '<x/>', command: { kind: 'keyframe' } })).toThrow(Gb28181Error);
  });
});

describe('PTZCmd focus / iris, cruise and scan (Annex A.3.3, A.3.5, A.3.6)', () => {
  it.each([
    ['focus far', { kind: 'fi', focus: 1, iris: 0, focusSpeed: 0x20, irisSpeed: 0 }, 0x41, 0x20, 0, 0],
    ['focus near', { kind: 'fi', focus: -1, iris: 0, focusSpeed: 0x20, irisSpeed: 0 }, 0x42, 0x20, 0, 0],
    ['iris open', { kind: 'fi', focus: 0, iris: 1, focusSpeed: 0, irisSpeed: 0x30 }, 0x44, 0, 0x30, 0],
    ['iris close', { kind: 'fi', focus: 0, iris: -1, focusSpeed: 0, irisSpeed: 0x30 }, 0x48, 0, 0x30, 0],
    ['FI stop', { kind: 'fi', focus: 0, iris: 0, focusSpeed: 0, irisSpeed: 0 }, 0x40, 0, 0, 0],
    ['cruise add preset 3 to group 1', { kind: 'cruise', op: 'add', group: 1, preset: 3 }, 0x84, 1, 3, 0],
    ['cruise remove the group', { kind: 'cruise', op: 'remove', group: 1 }, 0x85, 1, 0, 0],
    ['cruise speed 0x123 (12 bits)', { kind: 'cruise', op: 'speed', group: 2, speed: 0x123 }, 0x86, 2, 0x23, 1],
    ['cruise stay 4095 s', { kind: 'cruise', op: 'stay', group: 2, seconds: 4095 }, 0x87, 2, 0xff, 0xf],
    ['cruise start', { kind: 'cruise', op: 'start', group: 2 }, 0x88, 2, 0, 0],
    ['scan start', { kind: 'scan', op: 'start', group: 1 }, 0x89, 1, 0, 0],
    ['scan left border', { kind: 'scan', op: 'left', group: 1 }, 0x89, 1, 1, 0],
    ['scan right border', { kind: 'scan', op: 'right', group: 1 }, 0x89, 1, 2, 0],
    ['scan speed 300', { kind: 'scan', op: 'speed', group: 1, speed: 300 }, 0x8a, 1, 300 & 0xff, 1],
  ])('%s', (_n, cmd, command, data1, data2, data3) => {
    expect(decodePtzCmd(encodePtzCmd(cmd as never, 1))).toEqual({ address: 1, command, data1, data2, data3 });
  });

  it('out-of-range groups, presets, speeds and stay times are PTZ_BAD_COMMAND', () => {
    for (const cmd of [
      { kind: 'cruise', op: 'add', group: 256, preset: 1 }, { kind: 'cruise', op: 'add', group: 1, preset: 0 }, { kind: 'cruise', op: 'speed', group: 1, speed: 4096 },
      { kind: 'cruise', op: 'stay', group: 1, seconds: -1 }, { kind: 'cruise', op: 'jump', group: 1 }, { kind: 'scan', op: 'up', group: 1 }, { kind: 'scan', op: 'speed', group: 1, speed: 1.5 },
      { kind: 'fi', focus: 1, iris: 0, focusSpeed: 256, irisSpeed: 0 },
    ]) expect(() => encodePtzCmd(cmd as never, 1)).toThrow(expect.objectContaining({ code: 'PTZ_BAD_COMMAND' }));
  });
});

describe('DeviceConfig / ConfigDownload BasicParam (§A.2.3.2, §A.2.4.7, §A.2.6.9)', () => {
  it('encodeDeviceConfigBasic() writes only the given fields; readDeviceConfigBasic() reads them back', () => {
    const body = encodeDeviceConfigBasic({ sn: 3, deviceId: CH, basic: { name: 'Gate <east> & co', heartbeatIntervalS: 30, heartbeatCount: 3 } });
    expect(text(body)).toContain('<Name>Gate &lt;east&gt; &amp; co</Name>');
    expect(text(body)).not.toContain('Expiration');
    const m = parseManscdp(body);
    expect(m).toMatchObject({ root: 'Control', cmdType: 'DeviceConfig' });
    expect(readDeviceConfigBasic(m)).toEqual({ name: 'Gate <east> & co', heartbeatIntervalS: 30, heartbeatCount: 3 });
  });

  it('an empty set, a control character in the name and out-of-range numbers are refused', () => {
    for (const basic of [{}, { name: 'a\nb' }, { name: '' }, { name: 'x'.repeat(65) }, { expirationS: 59 }, { heartbeatIntervalS: 3601 }, { heartbeatCount: 0 }]) {
      expect(() => encodeDeviceConfigBasic({ sn: 1, deviceId: CH, basic })).toThrow(expect.objectContaining({ code: 'MANSCDP_BAD_FIELD' }));
    }
  });

  it('ConfigDownload query and its Response round trip', () => {
    expect(parseManscdp(encodeConfigDownloadQuery({ sn: 9, deviceId: CH }))).toMatchObject({ root: 'Query', cmdType: 'ConfigDownload', fields: { ConfigType: 'BasicParam' } });
    const m = parseManscdp(encodeConfigDownloadResponse({ sn: 9, deviceId: CH, basic: { name: 'cam', expirationS: 3600, heartbeatIntervalS: 60, heartbeatCount: 3 } }));
    expect(responseResult(m)).toBe('OK');
    expect(readBasicParam(m)).toEqual({ name: 'cam', expirationS: 3600, heartbeatIntervalS: 60, heartbeatCount: 3, sipServerId: null, sipServerIp: null, sipServerPort: null, domainName: null });
  });

  it('readBasicParam(): hostile numbers read as null, a missing BasicParam is MANSCDP_MISSING_FIELD, long text is cut', () => {
    const m = response('ConfigDownload', `<Result>OK</Result><BasicParam><Name>${'n'.repeat(500)}\u0007</Name><Expiration>1e9</Expiration><HeartBeatInterval>-5</HeartBeatInterval><HeartBeatCount>99999999999</HeartBeatCount><SIPServerPort>70000</SIPServerPort><SIPServerIP>10.0.0.1</SIPServerIP></BasicParam>`);
    expect(readBasicParam(m)).toMatchObject({ name: 'n'.repeat(64), expirationS: null, heartbeatIntervalS: null, heartbeatCount: null, sipServerPort: null, sipServerIp: '10.0.0.1' });
    expect(() => readBasicParam(response('ConfigDownload', '<Result>ERROR</Result>'))).toThrow(expect.objectContaining({ code: 'MANSCDP_MISSING_FIELD' }));
    expect(() => readBasicParam(response('PresetQuery', ''))).toThrow(expect.objectContaining({ code: 'MANSCDP_BAD_FIELD' }));
    expect(responseResult(response('ConfigDownload', '<Result> error </Result>'))).toBe('ERROR');
    expect(responseResult(response('ConfigDownload', ''))).toBeNull();
  });
});

describe('PresetQuery (§A.2.4.8)', () => {
  it('the query and a named list round trip, sorted by index', () => {
    expect(parseManscdp(encodePresetQuery({ sn: 2, deviceId: CH }))).toMatchObject({ root: 'Query', cmdType: 'PresetQuery', deviceId: CH });
    const m = parseManscdp(encodePresetQueryResponses({ sn: 2, deviceId: CH, presets: [{ index: 5, name: '东门' }, { index: 1, name: 'Gate' }] })[0]!);
    expect(readPresetList(m)).toEqual({ presets: [{ index: 1, name: 'Gate' }, { index: 5, name: '东门' }], dropped: 0 });
  });

  it('one item (not an array), none, bad or repeated IDs and long names', () => {
    expect(readPresetList(response('PresetQuery', '<PresetList Num="1"><Item><PresetID>3</PresetID><PresetName>x</PresetName></Item></PresetList>')).presets).toEqual([{ index: 3, name: 'x' }]);
    expect(readPresetList(response('PresetQuery', '<PresetList Num="0"></PresetList>'))).toEqual({ presets: [], dropped: 0 });
    expect(readPresetList(response('PresetQuery', ''))).toEqual({ presets: [], dropped: 0 });
    const hostile = response('PresetQuery', `<PresetList Num="9"><Item><PresetID>0</PresetID></Item><Item><PresetID>256</PresetID></Item><Item><PresetID>0x10</PresetID></Item><Item>text</Item><Item><PresetID>7</PresetID><PresetName>${'y'.repeat(300)}</PresetName></Item><Item><PresetID>7</PresetID><PresetName>again</PresetName></Item><Item><PresetID>8</PresetID></Item></PresetList>`);
    expect(readPresetList(hostile)).toEqual({ presets: [{ index: 7, name: 'y'.repeat(MAX_PRESET_NAME_CHARS) }, { index: 8, name: '' }], dropped: 5 });
  });

  it('an answer split over MESSAGEs is whole once the items reach SumNum, and merged', () => {
    const presets = [{ index: 1, name: 'a' }, { index: 2, name: 'b' }, { index: 3, name: 'c' }];
    const parts = encodePresetQueryResponses({ sn: 2, deviceId: CH, presets, perMessage: 2 }).map((b) => parseManscdp(b));
    expect(parts).toHaveLength(2);
    expect(presetAnswerComplete(parts.slice(0, 1))).toBe(false);
    expect(presetAnswerComplete(parts)).toBe(true);
    expect(mergePresetLists([parts[1]!, parts[0]!, parts[1]!])).toEqual({ presets, dropped: 1 });
    // No SumNum (or a silly one): the first message is the whole answer; an empty list encodes as one message.
    expect(presetAnswerComplete([response('PresetQuery', '<PresetList Num="1"><Item><PresetID>3</PresetID></Item></PresetList>')])).toBe(true);
    expect(presetAnswerComplete([response('PresetQuery', '<SumNum>99999</SumNum>')])).toBe(true);
    expect(presetAnswerComplete([])).toBe(false);
    expect(encodePresetQueryResponses({ sn: 1, deviceId: CH, presets: [] })).toHaveLength(1);
  });

  it(`keeps at most MAX_PRESETS_LISTED (${MAX_PRESETS_LISTED})`, () => {
    const items = Array.from({ length: 300 }, (_, i) => `<Item><PresetID>${(i % 255) + 1}</PresetID><PresetName>p</PresetName></Item>`).join('');
    const { presets, dropped } = readPresetList(response('PresetQuery', `<PresetList Num="300">${items}</PresetList>`));
    expect(presets).toHaveLength(MAX_PRESETS_LISTED);
    expect(dropped).toBe(45);
  });
});
