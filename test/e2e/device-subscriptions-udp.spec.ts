import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ChannelDto, ChannelPositionDto, DeviceAlarmPageDto, DeviceSubscriptionsDto, GatewayEvent } from '@gb/contracts';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { startSimDevice } from '../support/sim-device';
import { channelId, type QueryEvent, type SimulatedDevice, type SubscribeEvent } from '../../apps/device-sim/src';

const PASSWORD = '12345678';

/**
 * Alarm and MobilePosition subscriptions (issue 13 item 1, partly) over UDP: with ALARM_SUBSCRIBE and
 * MOBILE_POSITION_SUBSCRIBE on, the gateway SUBSCRIBEs a device that comes online with the §A.2.4 query bodies; the
 * simulator's MobilePosition NOTIFYs (every `<Interval>` s) and Alarm NOTIFYs are stored like the MESSAGE ones; a
 * device that refuses one package (489) is shown as refused and not asked again (no retry storm); a camera that takes a
 * Catalog subscription sends its channel changes as NOTIFYs, which reach the API and the WebSocket within 2 s.
 */
describe('alarm and mobile-position subscriptions (simulated devices over UDP)', () => {
  let gw: TestGateway;
  let both: SimulatedDevice;
  let alarmOnly: SimulatedDevice;
  const bothId = '34020000001110000981';
  const alarmOnlyId = '34020000001110000982';
  const subscribes: SubscribeEvent[] = [];
  const alarmResponses: QueryEvent[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({ SIP_PASSWORD: PASSWORD, ALARM_SUBSCRIBE: 'all', MOBILE_POSITION_SUBSCRIBE: 'all', MOBILE_POSITION_INTERVAL_S: '1', POSITION_MIN_INTERVAL_MS: '0' });
    const watch = (d: SimulatedDevice) => {
      d.on('subscribe', (e) => subscribes.push(e));
      d.on('query', (q) => {
        if (q.cmdType === 'Alarm') alarmResponses.push(q);
      });
    };
    [both, alarmOnly] = await Promise.all([
      startSimDevice(gw, { deviceId: bothId, password: PASSWORD, channels: 1, name: 'subs-sim', extra: { acceptSubscriptions: ['Alarm', 'MobilePosition'] } }, watch),
      startSimDevice(gw, { deviceId: alarmOnlyId, password: PASSWORD, channels: 1, name: 'alarm-only-sim', extra: { acceptSubscriptions: ['Alarm'] } }, watch),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([both, alarmOnly].map((d) => d?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined)));
    await gw?.stop();
  });

  it('a device that comes online gets an Alarm and a MobilePosition SUBSCRIBE with their query bodies', async () => {
    await waitFor('both SUBSCRIBEs at the first device', () => subscribes.filter((s) => s.deviceId === bothId && s.status === 200).length >= 2, 5000);
    const of = (event: string) => subscribes.find((s) => s.deviceId === bothId && s.event === event)!;
    expect([of('Alarm').cmdType, of('Alarm').fields, of('Alarm').expiresS]).toEqual(['Alarm', { StartAlarmPriority: '0', EndAlarmPriority: '0', AlarmMethod: '0' }, 3600]);
    expect([of('MobilePosition').cmdType, of('MobilePosition').intervalS]).toEqual(['MobilePosition', 1]);
    const status = await waitFor('both active', async () => {
      const s = (await gw.api<DeviceSubscriptionsDto>(`/api/devices/${bothId}/subscriptions`)).body;
      return s.alarm?.state === 'active' && s.mobilePosition?.state === 'active' ? s : undefined;
    }, 5000);
    expect(status.catalog).toBeNull();
    expect(Date.parse(status.alarm!.activeUntil!)).toBeGreaterThan(Date.now() + 3000_000);
  });

  it('MobilePosition NOTIFYs arrive every second and are stored; an Alarm NOTIFY is stored without an Alarm Response MESSAGE', async () => {
    const ch = channelId(bothId, 1);
    const track = await waitFor('three positions from NOTIFYs', async () => {
      const r = await gw.api<ChannelPositionDto[]>(`/api/channels/${ch}/positions`);
      return r.body.length >= 3 ? r.body : undefined;
    }, 6000);
    expect(track.every((p) => p.speed === 36 && p.longitude >= 120.15 && p.longitude <= 120.1521)).toBe(true);

    expect(await both.notifyAlarm({ channelId: ch, priority: 2, method: 5, description: '订阅报警' })).toEqual([200]);
    const stored = await waitFor('the alarm stored', async () => (await gw.api<DeviceAlarmPageDto>(`/api/device-alarms?deviceId=${bothId}`)).body.items[0], 5000);
    expect([stored.channelId, stored.priority, stored.method, stored.description]).toEqual([ch, '2', '5', '订阅报警']);
    await new Promise((r) => setTimeout(r, 500));
    expect(alarmResponses.filter((q) => q.deviceId === bothId)).toEqual([]);
  });

  it('a device that refuses MobilePosition (489) is shown refused and asked once, while its Alarm subscription is active', async () => {
    await waitFor('the refusal at the gateway', async () => (await gw.api<DeviceSubscriptionsDto>(`/api/devices/${alarmOnlyId}/subscriptions`)).body.mobilePosition?.state === 'refused', 5000);
    const s = (await gw.api<DeviceSubscriptionsDto>(`/api/devices/${alarmOnlyId}/subscriptions`)).body;
    expect(s.mobilePosition!.cause).toMatch(/489/);
    expect(s.alarm!.state).toBe('active');
    await new Promise((r) => setTimeout(r, 2000));
    expect(subscribes.filter((e) => e.deviceId === alarmOnlyId).map((e) => [e.event, e.status]).sort()).toEqual([['Alarm', 200], ['MobilePosition', 489]]);
    expect((await gw.api(`/api/devices/not-a-device/subscriptions`)).status).toBe(400);
  });

  it('PUT per-device settings: a new interval re-subscribes, alarm off unsubscribes (Expires 0), catalog on is asked and refused; bad bodies 400', async () => {
    const put = (id: string, body: unknown) => gw.api<DeviceSubscriptionsDto & { code?: string }>(`/api/devices/${id}/subscriptions`, { method: 'PUT', body: JSON.stringify(body) });
    const before = subscribes.length;
    const r = await put(bothId, { mobilePosition: { intervalS: 2 }, catalog: true });
    expect([r.status, r.body.settings]).toEqual([200, { catalog: true, alarm: null, mobilePosition: { enabled: null, intervalS: 2 } }]);
    await waitFor('the position subscription ended and made anew with Interval 2', () => {
      const now = subscribes.slice(before).filter((e) => e.deviceId === bothId && e.event === 'MobilePosition');
      return now.some((e) => e.expiresS === 0) && now.some((e) => e.status === 200 && e.intervalS === 2);
    }, 5000);
    await waitFor('catalog asked and refused (489)', async () => (await gw.api<DeviceSubscriptionsDto>(`/api/devices/${bothId}/subscriptions`)).body.catalog?.state === 'refused', 5000);

    const off = await put(alarmOnlyId, { alarm: false, mobilePosition: { enabled: false } });
    expect(off.body.settings).toEqual({ catalog: null, alarm: false, mobilePosition: { enabled: false, intervalS: null } });
    expect([off.body.alarm, off.body.mobilePosition]).toEqual([null, null]);
    await waitFor('the alarm subscription ended with Expires 0', () => subscribes.some((e) => e.deviceId === alarmOnlyId && e.event === 'Alarm' && e.expiresS === 0), 3000);
    // Kept across a GET; back to the config with null.
    expect((await gw.api<DeviceSubscriptionsDto>(`/api/devices/${alarmOnlyId}/subscriptions`)).body.settings.alarm).toBe(false);
    const back = await put(alarmOnlyId, { alarm: null });
    await waitFor('the alarm subscription active again', async () => (await gw.api<DeviceSubscriptionsDto>(`/api/devices/${alarmOnlyId}/subscriptions`)).body.alarm?.state === 'active', 5000);
    expect(back.body.settings.mobilePosition.enabled).toBe(false);

    for (const bad of [{ mobilePosition: { intervalS: 0 } }, { mobilePosition: { intervalS: 3601 } }, { alarm: 'yes' }, { colour: 1 }, { mobilePosition: { enabled: true, extra: 1 } }]) {
      expect([JSON.stringify(bad), (await put(bothId, bad)).status]).toEqual([JSON.stringify(bad), 400]);
    }
    const unknown = await put('34020000001110000999', { alarm: true });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'DEVICE_NOT_FOUND']);
  });

  it('a Catalog subscription to a camera (PUT catalog: true): its NOTIFYs (OFF, ADD, DEL) reach the API and the WebSocket within 2 s', async () => {
    const camId = '34020000001110000983';
    const cam = await startSimDevice(gw, { deviceId: camId, password: PASSWORD, channels: 2, name: 'catalog-sim', extra: { acceptSubscriptions: ['Catalog'] } }, (d) => d.on('subscribe', (e) => subscribes.push(e)));
    const token = (await gw.auth()).authorization.slice('Bearer '.length);
    const ws = new WebSocket(`${gw.httpUrl.replace('http', 'ws')}/api/events?access_token=${token}`);
    const events: Array<GatewayEvent & { receivedAt: number }> = [];
    ws.on('message', (m) => events.push({ ...(JSON.parse(String(m)) as GatewayEvent), receivedAt: Date.now() }));
    try {
      await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
      const channels = async () => new Map((await gw.api<ChannelDto[]>(`/api/devices/${camId}/channels`)).body.map((c) => [c.channelId, c]));
      await waitFor('the camera\'s catalog', async () => (await channels()).size === 2, 10_000);
      expect((await gw.api(`/api/devices/${camId}/subscriptions`, { method: 'PUT', body: JSON.stringify({ catalog: true }) })).status).toBe(200);
      await waitFor('the catalog subscription active', async () => (await gw.api<DeviceSubscriptionsDto>(`/api/devices/${camId}/subscriptions`)).body.catalog?.state === 'active', 5000);
      expect(subscribes.find((e) => e.deviceId === camId && e.event === 'Catalog')).toMatchObject({ status: 200, cmdType: 'Catalog' });

      const ch1 = channelId(camId, 1);
      const ch3 = channelId(camId, 3);
      const change = async (what: string, item: Parameters<SimulatedDevice['notifyCatalog']>[0][number], check: (c: Map<string, ChannelDto>) => boolean) => {
        const sentAt = Date.now();
        expect(await cam.notifyCatalog([item])).toEqual([200]);
        const e = await waitFor(`catalog.changed ${what}`, () => events.find((x) => x.receivedAt >= sentAt && x.type === 'catalog.changed' && x.data.changes.some((c) => c.channelId === item.deviceId && c.event === item.event)), 2000, 20);
        expect(e.receivedAt - sentAt).toBeLessThan(2000);
        await waitFor(`${what} in the API`, async () => check(await channels()), 2000 - (Date.now() - sentAt), 50);
      };
      await change('OFF', { deviceId: ch1, event: 'OFF' }, (c) => c.get(ch1)?.status === 'OFF');
      await change('ADD', { deviceId: ch3, event: 'ADD', name: '北门 3', status: 'ON', parentId: camId }, (c) => c.get(ch3)?.name === '北门 3' && c.get(ch3)?.status === 'ON');
      await change('DEL', { deviceId: ch3, event: 'DEL' }, (c) => !c.has(ch3));
    } finally {
      ws.close();
      await cam.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
    }
  });
});
