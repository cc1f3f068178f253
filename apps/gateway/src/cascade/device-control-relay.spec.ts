import { describe, expect, it } from 'vitest';
import { encodeControl, encodePtzCmd, parseManscdp } from '@gb/gb28181';
import { ptzEffect, relayableControl } from './device-control-relay';

const CH = '34020000001310000001';
const fieldsOf = (xml: string) => parseManscdp(Buffer.from(`<?xml version="1.0" encoding="GB2312"?><Control><CmdType>DeviceControl</CmdType><SN>1</SN><DeviceID>${CH}</DeviceID>${xml}</Control>`)).fields;

describe('relayableControl()', () => {
  it('a PTZ move is passed on as sent, answered by the 200 alone, and moves the camera', () => {
    const cmd = encodePtzCmd({ kind: 'move', pan: 1, tilt: 0, zoom: 0, speed: 0x80, zoomSpeed: 0 });
    const m = parseManscdp(encodeControl('DeviceControl', 7, CH, { PTZCmd: cmd }));
    expect(relayableControl(m.fields)).toEqual({ ok: true, fields: { PTZCmd: cmd }, awaitsResponse: false, ptz: { action: 'move', movesCamera: true } });
  });

  it('stop and presets: a stop and a preset set do not move the camera, a preset call does', () => {
    expect(ptzEffect(0)).toEqual({ action: 'stop', movesCamera: false });
    expect(ptzEffect(0x81)).toEqual({ action: 'preset', movesCamera: false });
    expect(ptzEffect(0x82)).toEqual({ action: 'preset', movesCamera: true });
    expect(ptzEffect(0x83)).toEqual({ action: 'preset', movesCamera: false });
    expect(ptzEffect(0x48)).toEqual({ action: 'move', movesCamera: true });
  });

  it('GuardCmd, RecordCmd and AlarmCmd wait for the camera\'s Response; TeleBoot and IFameCmd do not', () => {
    expect(relayableControl(fieldsOf('<GuardCmd>SetGuard</GuardCmd>'))).toMatchObject({ ok: true, fields: { GuardCmd: 'SetGuard' }, awaitsResponse: true, ptz: null });
    expect(relayableControl(fieldsOf('<RecordCmd> Record </RecordCmd>'))).toMatchObject({ ok: true, fields: { RecordCmd: 'Record' }, awaitsResponse: true });
    expect(relayableControl(fieldsOf('<AlarmCmd>ResetAlarm</AlarmCmd><Info><AlarmMethod>2</AlarmMethod></Info>'))).toMatchObject({ ok: true, fields: { AlarmCmd: 'ResetAlarm' } });
    expect(relayableControl(fieldsOf('<TeleBoot>Boot</TeleBoot>'))).toMatchObject({ ok: true, awaitsResponse: false });
    expect(relayableControl(fieldsOf('<IFameCmd>Send</IFameCmd>'))).toMatchObject({ ok: true, fields: { IFameCmd: 'Send' }, awaitsResponse: false });
  });

  it('hostile or unsupported: a bad checksum, markup or spaces in a value, nested values and nothing relayable are refused with a reason', () => {
    const bad = encodePtzCmd({ kind: 'stop' }).slice(0, 14) + '00';
    expect(relayableControl(fieldsOf(`<PTZCmd>${bad}</PTZCmd>`))).toMatchObject({ ok: false, reason: expect.stringContaining('checksum') });
    expect(relayableControl(fieldsOf('<TeleBoot>Boot now</TeleBoot>'))).toMatchObject({ ok: false });
    expect(relayableControl(fieldsOf('<TeleBoot>&lt;x&gt;</TeleBoot>'))).toMatchObject({ ok: false });
    expect(relayableControl(fieldsOf(`<GuardCmd>${'A'.repeat(33)}</GuardCmd>`))).toMatchObject({ ok: false });
    expect(relayableControl(fieldsOf('<PTZCmd><X>1</X></PTZCmd>'))).toMatchObject({ ok: false, reason: expect.stringContaining('plain value') });
    expect(relayableControl(fieldsOf('<DragZoomIn><Length>1</Length></DragZoomIn>'))).toMatchObject({ ok: false, reason: expect.stringContaining('no command') });
  });
});
