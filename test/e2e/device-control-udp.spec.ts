import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelPresetsDto, DeviceBasicConfigDto, DeviceCommandResultDto } from '@gb/contracts';
import { decodePtzCmd } from '@gb/gb28181';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { startSimDevice } from '../support/sim-device';
import { channelId, SIM_PRESETS, type QueryEvent, type SimulatedDevice } from '../../apps/device-sim/src';
import { CONTROL_RESULT_WAIT_MS } from '../../apps/gateway/src/devices/alarm-control.service';
import { DEVICE_QUERY_ANSWER_WAIT_MS } from '../../apps/gateway/src/devices/device-control.service';

const PASSWORD = '12345678';

/**
 * DeviceControl and queries (GB/T 28181-2016 §9.3, §A.2.3, §A.2.4) end to end over UDP against the simulated camera:
 * each command reaches it as the body the standard gives, PresetQuery lists named presets, BasicParam is read, set
 * and read back, TeleBoot makes it register again, and a device that answers ERROR or nothing gives a clear error
 * after one MESSAGE (no retries).
 */
describe('device control (simulated camera over UDP)', () => {
  let gw: TestGateway;
  let device: SimulatedDevice;
  const deviceId = '34020000001110000961';
  const ch1 = channelId(deviceId, 1);
  const got: QueryEvent[] = [];
  const post = <T>(path: string, body: unknown) => gw.api<T>(path, { method: 'POST', body: JSON.stringify(body) });
  const control = (body: unknown) => post<DeviceCommandResultDto & { code?: string; message?: string }>(`/api/devices/${deviceId}/control`, body);
  const ptz = (body: unknown) => post<{ ptzCmd: string }>(`/api/devices/${deviceId}/channels/${ch1}/ptz`, body);

  beforeAll(async () => {
    gw = await startTestGateway({ SIP_PASSWORD: PASSWORD });
    device = await startSimDevice(gw, { deviceId, password: PASSWORD, channels: 2, name: 'control-sim', extra: { rebootMs: 300 } }, (d) => d.on('query', (q: QueryEvent) => got.push(q)));
  }, 60_000);

  afterAll(async () => {
    await device?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
    await gw?.stop();
  });

  it('record, keyframe, drag zoom and home position reach the device as DeviceControl bodies; Result OK or ACCEPTED', async () => {
    got.length = 0;
    const rect = { length: 1280, width: 720, midPointX: 640, midPointY: 360, lengthX: 320, lengthY: 180 };
    const answers = [
      await control({ command: 'record', channelId: ch1 }),
      await control({ command: 'stopRecord' }),
      await control({ command: 'keyframe', channelId: ch1 }),
      await control({ command: 'dragZoomIn', channelId: ch1, ...rect }),
      await control({ command: 'dragZoomOut', channelId: ch1, ...rect }),
      await control({ command: 'homePosition', channelId: ch1, enabled: true, resetTimeS: 60, presetIndex: 2 }),
    ];
    expect(answers.map((a) => [a.status, a.body.command, a.body.result])).toEqual([
      [200, 'Record', 'OK'], [200, 'StopRecord', 'OK'], [200, 'IFameCmd', 'ACCEPTED'], [200, 'DragZoomIn', 'ACCEPTED'], [200, 'DragZoomOut', 'ACCEPTED'], [200, 'HomePosition', 'OK'],
    ]);
    await waitFor('six DeviceControls at the device', () => got.filter((q) => q.cmdType === 'DeviceControl').length >= 6, 3000);
    const zoom = { Length: '1280', Width: '720', MidPointX: '640', MidPointY: '360', LengthX: '320', LengthY: '180' };
    expect(got.map((q) => [q.targetId, q.fields])).toEqual([
      [ch1, { RecordCmd: 'Record' }], [deviceId, { RecordCmd: 'StopRecord' }], [ch1, { IFameCmd: 'Send' }],
      [ch1, { DragZoomIn: zoom }], [ch1, { DragZoomOut: zoom }], [ch1, { HomePosition: { Enabled: '1', ResetTime: '60', PresetIndex: '2' } }],
    ]);
    // Bounds: a rectangle outside the picture, an unknown command, a bad preset index.
    for (const bad of [{ command: 'dragZoomIn', channelId: ch1, ...rect, midPointX: 5000 }, { command: 'selfDestruct' }, { command: 'homePosition', channelId: ch1, enabled: true, presetIndex: 256 }]) {
      expect((await control(bad)).status).toBe(400);
    }
  });

  it('focus / iris, cruise and scan go out as PTZCmd FI, cruise and scan bytes', async () => {
    got.length = 0;
    const sent = [
      await ptz({ action: 'focusIris', focus: -1, speed: 0x20 }),
      await ptz({ action: 'focusIris', iris: 1, speed: 0x30 }),
      await ptz({ action: 'cruise', op: 'add', group: 1, preset: 2 }),
      await ptz({ action: 'cruise', op: 'stay', group: 1, value: 300 }),
      await ptz({ action: 'cruise', op: 'start', group: 1 }),
      await ptz({ action: 'scan', op: 'left', group: 2 }),
      await ptz({ action: 'scan', op: 'speed', group: 2, value: 40 }),
      await ptz({ action: 'scan', op: 'stop' }),
    ];
    expect(sent.every((r) => r.status === 200)).toBe(true);
    await waitFor('eight PTZCmds at the device', () => got.filter((q) => q.ptzCmd).length >= 8, 3000);
    expect(got.map((q) => decodePtzCmd(q.ptzCmd!)).map((c) => [c.command, c.data1, c.data2, c.data3])).toEqual([
      [0x42, 0x20, 0, 0], [0x44, 0, 0x30, 0], [0x84, 1, 2, 0], [0x87, 1, 300 & 0xff, 1], [0x88, 1, 0, 0], [0x89, 2, 1, 0], [0x8a, 2, 40, 0], [0x00, 0, 0, 0],
    ]);
    expect((await ptz({ action: 'cruise', op: 'add', group: 1 })).status).toBe(400);
    expect((await ptz({ action: 'scan', op: 'speed', value: 5000 })).status).toBe(400);
  });

  it('PresetQuery lists the presets with their names; BasicParam is read, set and read back', async () => {
    const presets = await gw.api<ChannelPresetsDto>(`/api/devices/${deviceId}/channels/${ch1}/presets`);
    expect(presets.status).toBe(200);
    expect(presets.body.presets).toEqual([...SIM_PRESETS]);
    const before = await gw.api<DeviceBasicConfigDto>(`/api/devices/${deviceId}/config`);
    expect(before.body).toMatchObject({ deviceId, name: 'control-sim', expirationS: 3600, heartbeatIntervalS: 30, heartbeatCount: 3 });
    const set = await gw.api<DeviceBasicConfigDto>(`/api/devices/${deviceId}/config`, { method: 'PUT', body: JSON.stringify({ name: '南门 camera', heartbeatIntervalS: 20, heartbeatCount: 5 }) });
    expect([set.status, set.body.name, set.body.heartbeatIntervalS, set.body.heartbeatCount, set.body.expirationS]).toEqual([200, '南门 camera', 20, 5, 3600]);
    expect((await gw.api<DeviceBasicConfigDto>(`/api/devices/${deviceId}/config`)).body.name).toBe('南门 camera');
    for (const bad of [{}, { heartbeatIntervalS: 1 }, { name: 'a\u0007' }, { colour: 'red' }]) {
      expect((await gw.api(`/api/devices/${deviceId}/config`, { method: 'PUT', body: JSON.stringify(bad) })).status).toBe(400);
    }
  });

  it('an unsupported command (Result ERROR) and a silent device are clear errors after one MESSAGE each', async () => {
    device.options.controlResult = 'ERROR';
    got.length = 0;
    const refused = await control({ command: 'record', channelId: ch1 });
    expect([refused.status, refused.body.code]).toEqual([502, 'DEVICE_CONTROL_FAILED']);
    expect(refused.body.message).toContain('ERROR');
    const noPresets = await gw.api<{ code: string }>(`/api/devices/${deviceId}/channels/${ch1}/presets`);
    expect([noPresets.status, noPresets.body.code]).toEqual([502, 'DEVICE_CONTROL_FAILED']);
    const noConfig = await gw.api<{ code: string }>(`/api/devices/${deviceId}/config`, { method: 'PUT', body: JSON.stringify({ heartbeatCount: 4 }) });
    expect([noConfig.status, noConfig.body.code]).toEqual([502, 'DEVICE_CONTROL_FAILED']);

    device.options.controlResult = 'none';
    let started = Date.now();
    const silent = await control({ command: 'homePosition', channelId: ch1, enabled: false });
    expect([silent.status, silent.body.code]).toEqual([504, 'DEVICE_CONTROL_NO_RESULT']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(CONTROL_RESULT_WAIT_MS - 100);
    started = Date.now();
    const silentConfig = await gw.api<{ code: string }>(`/api/devices/${deviceId}/config`);
    expect([silentConfig.status, silentConfig.body.code]).toEqual([504, 'DEVICE_CONTROL_NO_RESULT']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(DEVICE_QUERY_ANSWER_WAIT_MS - 100);
    await new Promise((r) => setTimeout(r, 500));
    // One MESSAGE per call, nothing resent by the gateway after the device's 200.
    expect(got.map((q) => q.cmdType)).toEqual(['DeviceControl', 'PresetQuery', 'DeviceConfig', 'DeviceControl', 'ConfigDownload']);
    expect(device.stats.retransmissions).toBe(0);
    device.options.controlResult = 'OK';
  }, 20_000);

  it('reboot (TeleBoot) restarts the device: silent for a moment, then a fresh registration the gateway accepts', async () => {
    const reboots: number[] = [];
    const registrations: boolean[] = [];
    device.on('reboot', () => reboots.push(Date.now()));
    device.on('registered', (r) => registrations.push(r.refresh));
    got.length = 0;
    const r = await post<DeviceCommandResultDto>(`/api/devices/${deviceId}/reboot`, {});
    expect([r.status, r.body.command, r.body.result]).toEqual([200, 'TeleBoot', 'ACCEPTED']);
    await waitFor('the device registered again (a new Call-ID, answered 200)', () => registrations.includes(false), 5000);
    expect(reboots).toHaveLength(1);
    expect(device.stats.reboots).toBe(1);
    expect(got.find((q) => q.cmdType === 'DeviceControl')?.fields).toEqual({ TeleBoot: 'Boot' });
    expect((await gw.api<{ online: boolean }>(`/api/devices/${deviceId}`)).body.online).toBe(true);
    // The configuration set before the reboot is kept.
    expect((await gw.api<DeviceBasicConfigDto>(`/api/devices/${deviceId}/config`)).body.heartbeatIntervalS).toBe(20);
    expect((await post(`/api/devices/${deviceId}/reboot`, { now: true })).status).toBe(400);
  });
});
