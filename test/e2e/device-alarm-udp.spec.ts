import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceAlarmDto, DeviceAlarmPageDto, GatewayEvent } from '@gb/contracts';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { startSimDevice } from '../support/sim-device';
import { channelId, type QueryEvent, type SimulatedDevice } from '../../apps/device-sim/src';
import type { EventBus } from '../../apps/gateway/src/events/event-bus';

const PASSWORD = '12345678';

/**
 * Device alarms (GB/T 28181 §9.4) end to end over UDP: a simulated NVR's channel reports a video-loss alarm with a
 * Chinese description; the gateway answers 200, sends the Alarm Response MESSAGE, lists it in GET /api/device-alarms
 * and publishes device.alarm. A huge description is cut to the bound; bad queries are 400.
 */
describe('device alarms (simulated NVR over UDP)', () => {
  let gw: TestGateway;
  let device: SimulatedDevice;
  const deviceId = '34020000001110000951';
  const ch = channelId(deviceId, 2);
  const responses: QueryEvent[] = [];
  const events: GatewayEvent[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({ SIP_PASSWORD: PASSWORD });
    const bus = gw.app.get<EventBus>((await import('../../apps/gateway/src/events/event-bus')).EventBus);
    bus.subscribe((e) => events.push(e));
    device = await startSimDevice(gw, { deviceId, password: PASSWORD, channels: 2, name: 'alarm-sim' }, (d) =>
      d.on('query', (q: QueryEvent) => {
        if (q.cmdType === 'Alarm') responses.push(q);
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await device?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
    await gw?.stop();
  });

  it('a channel alarm is answered 200 and acknowledged with an Alarm Response, listed newest first and published', async () => {
    expect(await device.sendAlarm({ channelId: ch, priority: 2, method: 5, description: '视频丢失', time: '2026-11-29T08:00:00' })).toBe(200);
    expect(await device.sendAlarm({ priority: 1, method: 6, description: '硬盘故障' })).toBe(200);
    await waitFor('two Alarm Responses at the device', async () => responses.length >= 2, 5000);
    expect(responses.map((r) => r.targetId).sort()).toEqual([ch, deviceId].sort());
    const list = (await gw.api<DeviceAlarmPageDto>(`/api/device-alarms?deviceId=${deviceId}`)).body.items;
    expect(list.map((a) => [a.channelId, a.priority, a.method, a.description])).toEqual([
      [deviceId, '1', '6', '硬盘故障'],
      [ch, '2', '5', '视频丢失'],
    ]);
    expect(list[1]!.time).toBe('2026-11-29T08:00:00');
    expect(events.filter((e) => e.type === 'device.alarm').map((e) => (e.data as DeviceAlarmDto).id)).toEqual(list.map((a) => a.id).reverse());
  });

  it('a 10,000-character description is kept to 256 characters; bad queries are 400', async () => {
    expect(await device.sendAlarm({ channelId: ch, description: '长'.repeat(10_000) })).toBe(200);
    const [latest] = (await gw.api<DeviceAlarmPageDto>('/api/device-alarms?limit=1')).body.items;
    expect(latest!.description).toHaveLength(256);
    expect((await gw.api('/api/device-alarms?limit=0')).status).toBe(400);
    expect((await gw.api('/api/device-alarms?deviceId=not_an_id')).status).toBe(400);
    expect((await gw.api('/api/device-alarms?colour=red')).status).toBe(400);
  });
});
