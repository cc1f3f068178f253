import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePtzCmd } from '@gb/gb28181';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { startSimDevice } from '../support/sim-device';
import { channelId, type QueryEvent, type SimulatedDevice } from '../../apps/device-sim/src';

const PASSWORD = '12345678';

/**
 * PTZ end to end: the API's move / stop / preset become DeviceControl MESSAGEs with the Annex A.3 PTZCmd, addressed to
 * the channel, that a simulated camera receives over UDP; bad bodies are 400, a channel not in the catalog 404.
 */
describe('PTZ control (simulated camera over UDP)', () => {
  let gw: TestGateway;
  let device: SimulatedDevice;
  const deviceId = '34020000001320000941';
  const channel = channelId(deviceId, 1);
  const controls: QueryEvent[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({ SIP_PASSWORD: PASSWORD });
    device = await startSimDevice(gw, { deviceId, password: PASSWORD, channels: 2, name: 'ptz-sim' }, (d) =>
      d.on('query', (q: QueryEvent) => {
        if (q.cmdType === 'DeviceControl') controls.push(q);
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await device?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
    await gw?.stop();
  });

  const ptz = (body: unknown, ch = channel) => gw.api<{ ptzCmd: string; code?: string }>(`/api/devices/${deviceId}/channels/${ch}/ptz`, { method: 'POST', body: JSON.stringify(body) });

  it('move left-up, zoom in, stop and call preset 3 reach the camera as PTZCmd on the channel, in order', async () => {
    const sent: string[] = [];
    for (const body of [{ action: 'move', pan: -1, tilt: 1, speed: 200 }, { action: 'move', zoom: 1, zoomSpeed: 5 }, { action: 'stop' }, { action: 'preset', op: 'call', index: 3 }]) {
      const r = await ptz(body);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      sent.push(r.body.ptzCmd);
    }
    await waitFor('four controls at the camera', async () => controls.length >= 4, 5000);
    expect(controls.map((c) => c.ptzCmd)).toEqual(sent);
    expect(controls.every((c) => c.targetId === channel)).toBe(true);
    const [leftUp, zoomIn, stop, preset] = sent.map(decodePtzCmd);
    expect(leftUp).toMatchObject({ command: 0x0a, data1: 200, data2: 200 });
    expect(zoomIn).toMatchObject({ command: 0x10, data3: 5 });
    expect(stop).toMatchObject({ command: 0x00, data1: 0, data2: 0, data3: 0 });
    expect(preset).toMatchObject({ command: 0x82, data2: 3 });
  });

  it('bad bodies are 400 VALIDATION_FAILED, a channel outside the catalog 404, and nothing reaches the camera', async () => {
    const before = controls.length;
    for (const body of [{ action: 'move' }, { action: 'move', pan: 2 }, { action: 'move', pan: 1, speed: 256 }, { action: 'preset', op: 'call', index: 0 }, { action: 'spin' }]) {
      const r = await ptz(body);
      expect([r.status, r.body.code], JSON.stringify(body).slice(0, 40)).toEqual([400, 'VALIDATION_FAILED']);
    }
    const notObject = await ptz('x'.repeat(100));
    expect([notObject.status, notObject.body.code]).toEqual([400, 'MALFORMED_JSON']);
    expect((await ptz({ action: 'stop' }, '34020000001310000999')).status).toBe(404);
    await new Promise((r) => setTimeout(r, 200));
    expect(controls.length).toBe(before);
  });
});
