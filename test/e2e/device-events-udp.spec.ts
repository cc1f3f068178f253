import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelDto, ChannelPositionDto, DeviceAlarmDto, DeviceAlarmPageDto, GatewayEvent } from '@gb/contracts';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { startSimDevice } from '../support/sim-device';
import { freePort } from '../support/sipp';
import { channelId, type QueryEvent, type SimulatedDevice } from '../../apps/device-sim/src';
import { EventBus } from '../../apps/gateway/src/events/event-bus';
import { CONTROL_RESULT_WAIT_MS } from '../../apps/gateway/src/devices/alarm-control.service';

const PASSWORD = '12345678';

/**
 * Device events end to end over UDP (issue 13 items 2 and 3), a simulated NVR against a whole gateway with its
 * embedded database: alarms it raises are stored, listed with filters and keyset paging, acknowledged and cleared
 * (an operator action a viewer may not take); AlarmCmd ResetAlarm and GuardCmd reach the device as the right
 * DeviceControl bodies, its ERROR and its silence are clear errors; MobilePosition notifies are stored per channel,
 * listed by time, the latest in the channel DTO, pushed as position.updated, and the simulator's moving mode walks
 * its path; alarms (with their states) and positions survive a gateway restart over the same data directory.
 */
describe('device alarms and mobile positions (simulated NVR over UDP, restart)', () => {
  let gw: TestGateway;
  let device: SimulatedDevice;
  let env: Record<string, string>;
  const gateways: TestGateway[] = [];
  const deviceId = '34020000001110000961';
  const ch1 = channelId(deviceId, 1);
  const ch2 = channelId(deviceId, 2);
  const controls: QueryEvent[] = [];
  const events: GatewayEvent[] = [];
  const page = async (query: string) => {
    const r = await gw.api<DeviceAlarmPageDto>(`/api/device-alarms?${query}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };

  beforeAll(async () => {
    env = { SIP_PASSWORD: PASSWORD, SIP_PORT: String(await freePort()), POSITION_MIN_INTERVAL_MS: '0' };
    gw = await startTestGateway(env);
    gateways.push(gw);
    gw.app.get(EventBus).subscribe((e) => events.push(e));
    device = await startSimDevice(gw, { deviceId, password: PASSWORD, channels: 2, name: 'events-sim', extra: { positionIntervalS: 1 } }, (d) =>
      d.on('query', (q: QueryEvent) => {
        if (q.cmdType === 'DeviceControl') controls.push(q);
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await device?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
    for (const g of gateways) await g.stop({ keepData: true });
    if (gw) rmSync(gw.dataDir, { recursive: true, force: true });
  });

  it('alarms are stored and listed newest first with filters and keyset paging; acknowledge and clear once, announced', async () => {
    const sent = [
      { channelId: ch1, priority: 1, method: 5, description: '视频丢失' },
      { channelId: ch2, priority: 2, method: 5, description: '移动侦测' },
      { priority: 1, method: 6, description: '硬盘故障' },
      { channelId: ch1, priority: 3, method: 2, description: '门磁报警' },
      { channelId: ch2, priority: 4, method: 7, description: '其他' },
    ];
    for (const a of sent) expect(await device.sendAlarm(a)).toBe(200);
    const all = await waitFor('five stored alarms', async () => ((await page(`deviceId=${deviceId}`)).items.length === 5 ? (await page(`deviceId=${deviceId}`)).items : undefined), 5000);
    expect(all.map((a) => a.description)).toEqual(sent.map((a) => a.description).reverse());
    expect(all.every((a) => a.state === 'open' && a.ackedAt === null && a.clearedAt === null)).toBe(true);
    expect(events.filter((e) => e.type === 'device.alarm').map((e) => (e.data as DeviceAlarmDto).id).reverse()).toEqual(all.map((a) => a.id));

    expect((await page(`channelId=${ch1}`)).items.map((a) => a.description)).toEqual(['门磁报警', '视频丢失']);
    expect((await page(`deviceId=${deviceId}&priority=1&method=5`)).items.map((a) => a.description)).toEqual(['视频丢失']);
    expect((await page(`method=6`)).items.map((a) => a.channelId)).toEqual([deviceId]);
    expect((await page(`deviceId=${deviceId}&from=${Math.floor(Date.now() / 1000) + 3600}`)).items).toEqual([]);
    expect((await page(`deviceId=${deviceId}&to=${Math.floor(Date.now() / 1000) + 3600}`)).items).toHaveLength(5);

    // Pages of two: every alarm once, in order, and the last page says there is no more.
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const p: DeviceAlarmPageDto = await page(`deviceId=${deviceId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...p.items.map((a) => a.id));
      cursor = p.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect([pages, seen]).toEqual([3, all.map((a) => a.id)]);

    const [newest, second] = all;
    const acked = await gw.api<DeviceAlarmDto>(`/api/device-alarms/${newest!.id}/acknowledge`, { method: 'POST' });
    expect([acked.status, acked.body.state, acked.body.ackedBy]).toEqual([200, 'acknowledged', 'admin']);
    const again = await gw.api<DeviceAlarmDto>(`/api/device-alarms/${newest!.id}/acknowledge`, { method: 'POST' });
    expect(again.body.ackedAt).toBe(acked.body.ackedAt);
    const cleared = await gw.api<DeviceAlarmDto>(`/api/device-alarms/${second!.id}/clear`, { method: 'POST' });
    expect([cleared.status, cleared.body.state, cleared.body.clearedBy]).toEqual([200, 'cleared', 'admin']);
    expect((await page(`deviceId=${deviceId}&state=open`)).items).toHaveLength(3);
    expect((await page(`deviceId=${deviceId}&state=acknowledged`)).items.map((a) => a.id)).toEqual([newest!.id]);
    expect((await page(`deviceId=${deviceId}&state=cleared`)).items.map((a) => a.id)).toEqual([second!.id]);
    expect(events.filter((e) => e.type === 'device.alarm.updated').map((e) => (e.data as DeviceAlarmDto).state)).toEqual(['acknowledged', 'acknowledged', 'cleared']);
    const missing = await gw.api<{ code: string }>('/api/device-alarms/00000000-0000-4000-8000-000000000000/clear', { method: 'POST' });
    expect([missing.status, missing.body.code]).toEqual([404, 'ALARM_NOT_FOUND']);
  });

  it('a viewer lists alarms but may not acknowledge, clear, reset or guard (403)', async () => {
    expect((await gw.api('/api/users', { method: 'POST', body: JSON.stringify({ username: 'vera', password: 'vera-password', role: 'viewer' }) })).status).toBe(201);
    const login = await fetch(`${gw.httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'vera', password: 'vera-password' }) });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const as = (method: string, path: string, body?: unknown) =>
      fetch(`${gw.httpUrl}${path}`, { method, headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) }).then((r) => r.status);
    const [one] = (await page(`deviceId=${deviceId}&limit=1`)).items;
    expect(await as('GET', `/api/device-alarms?deviceId=${deviceId}`)).toBe(200);
    expect(await as('POST', `/api/device-alarms/${one!.id}/acknowledge`)).toBe(403);
    expect(await as('POST', `/api/device-alarms/${one!.id}/clear`)).toBe(403);
    expect(await as('POST', `/api/devices/${deviceId}/alarm-reset`, {})).toBe(403);
    expect(await as('POST', `/api/devices/${deviceId}/guard`, { guard: true })).toBe(403);
  });

  it('hostile alarm queries and bodies are 400 naming the field', async () => {
    for (const q of ['limit=0', 'limit=501', 'limit=abc', 'state=closed', 'cursor=abc', `cursor=${'9'.repeat(20)}_x`, 'from=yesterday', 'from=2026-12-03T10:00:00Z&to=2026-12-03T09:00:00Z', 'priority=%3Cscript%3E', `method=${'1'.repeat(17)}`, 'channelId=../../etc', 'colour=red']) {
      const r = await gw.api<{ code: string }>(`/api/device-alarms?${q}`);
      expect([q, r.status, r.body.code]).toEqual([q, 400, 'VALIDATION_FAILED']);
    }
    expect((await gw.api('/api/device-alarms/not-a-uuid/acknowledge', { method: 'POST' })).status).toBe(400);
    expect((await gw.api(`/api/devices/${deviceId}/guard`, { method: 'POST', body: JSON.stringify({ guard: 'yes' }) })).status).toBe(400);
    expect((await gw.api(`/api/devices/${deviceId}/alarm-reset`, { method: 'POST', body: JSON.stringify({ alarmType: '<Info/>' }) })).status).toBe(400);
    expect((await gw.api(`/api/channels/${ch1}/positions?limit=100000`)).status).toBe(400);
    expect((await gw.api(`/api/channels/${ch1}/positions?from=soon`)).status).toBe(400);
  });

  it('alarm reset and guard reach the device as DeviceControl AlarmCmd / GuardCmd; its ERROR and its silence are clear errors', async () => {
    const reset = await gw.api<{ command: string; result: string; targetId: string }>(`/api/devices/${deviceId}/alarm-reset`, { method: 'POST', body: JSON.stringify({ channelId: ch1, alarmMethod: '5', alarmType: '2' }) });
    expect([reset.status, reset.body.command, reset.body.result, reset.body.targetId]).toEqual([200, 'ResetAlarm', 'OK', ch1]);
    const arm = await gw.api<{ command: string }>(`/api/devices/${deviceId}/guard`, { method: 'POST', body: JSON.stringify({ guard: true }) });
    expect([arm.status, arm.body.command]).toEqual([200, 'SetGuard']);
    const disarm = await gw.api<{ command: string }>(`/api/devices/${deviceId}/guard`, { method: 'POST', body: JSON.stringify({ guard: false, channelId: ch2 }) });
    expect([disarm.status, disarm.body.command]).toEqual([200, 'ResetGuard']);
    await waitFor('three controls at the device', () => controls.length >= 3, 3000);
    expect(controls.map((c) => [c.targetId, c.fields, c.result])).toEqual([
      [ch1, { AlarmCmd: 'ResetAlarm', Info: { AlarmMethod: '5', AlarmType: '2' } }, 'OK'],
      [deviceId, { GuardCmd: 'SetGuard' }, 'OK'],
      [ch2, { GuardCmd: 'ResetGuard' }, 'OK'],
    ]);

    device.options.controlResult = 'ERROR';
    const refused = await gw.api<{ code: string; message: string }>(`/api/devices/${deviceId}/guard`, { method: 'POST', body: JSON.stringify({ guard: true }) });
    expect([refused.status, refused.body.code]).toEqual([502, 'DEVICE_CONTROL_FAILED']);
    expect(refused.body.message).toContain('ERROR');
    device.options.controlResult = 'none';
    const started = Date.now();
    const silent = await gw.api<{ code: string }>(`/api/devices/${deviceId}/alarm-reset`, { method: 'POST', body: JSON.stringify({}) });
    expect([silent.status, silent.body.code]).toEqual([504, 'DEVICE_CONTROL_NO_RESULT']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(CONTROL_RESULT_WAIT_MS - 100);
    device.options.controlResult = 'OK';
    const unknown = await gw.api<{ code: string }>(`/api/devices/${deviceId}/guard`, { method: 'POST', body: JSON.stringify({ guard: true, channelId: channelId(deviceId, 9) }) });
    expect([unknown.status, unknown.body.code]).toEqual([404, 'CHANNEL_NOT_FOUND']);
  });

  it('mobile positions are stored per channel and listed by time; the latest is in the channel DTO and pushed; moving mode walks its path', async () => {
    const at = (s: number) => new Date(Date.now() - s * 1000);
    const local = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
    const t = [at(30), at(20), at(10)];
    // Sent out of order: listed by the device's time.
    expect(await device.sendMobilePosition({ channelId: ch2, longitude: 120.1, latitude: 30.1, speed: 20, direction: 90, altitude: 5, time: local(t[0]!) })).toBe(200);
    expect(await device.sendMobilePosition({ channelId: ch2, longitude: 120.3, latitude: 30.3, speed: 40, direction: 180, time: local(t[2]!) })).toBe(200);
    expect(await device.sendMobilePosition({ channelId: ch2, longitude: 120.2, latitude: 30.2, time: local(t[1]!) })).toBe(200);
    // Out of range: answered, not stored.
    expect(await device.sendMobilePosition({ channelId: ch2, longitude: 500, latitude: 30 })).toBe(200);
    const list = await waitFor('three positions of channel 2', async () => {
      const r = await gw.api<ChannelPositionDto[]>(`/api/channels/${ch2}/positions`);
      return r.body.length >= 3 ? r.body : undefined;
    }, 5000);
    expect(list.map((p) => [p.longitude, p.latitude, p.speed, p.direction])).toEqual([[120.1, 30.1, 20, 90], [120.2, 30.2, null, null], [120.3, 30.3, 40, 180]]);
    expect(list.map((p) => Date.parse(p.time) / 1000)).toEqual(t.map((d) => Math.floor(d.getTime() / 1000)));
    expect(list[0]!.altitude).toBe(5);
    const since = Math.floor(t[1]!.getTime() / 1000);
    expect((await gw.api<ChannelPositionDto[]>(`/api/channels/${ch2}/positions?from=${since}`)).body.map((p) => p.longitude)).toEqual([120.2, 120.3]);
    expect((await gw.api<ChannelPositionDto[]>(`/api/channels/${ch2}/positions?limit=1`)).body.map((p) => p.longitude)).toEqual([120.3]);

    const channels = (await gw.api<ChannelDto[]>(`/api/devices/${deviceId}/channels`)).body;
    expect(channels.find((c) => c.channelId === ch2)!.position).toMatchObject({ longitude: 120.3, latitude: 30.3, speed: 40, direction: 180 });
    expect(events.some((e) => e.type === 'position.updated' && e.data.channelId === ch2 && e.data.longitude === 120.3)).toBe(true);

    // positionIntervalS: 1 — channel 1 moves along the simulator's square, one notify a second.
    const walk = await waitFor('two positions of the moving channel 1', async () => {
      const r = await gw.api<ChannelPositionDto[]>(`/api/channels/${ch1}/positions`);
      return r.body.length >= 2 ? r.body : undefined;
    }, 6000);
    expect([walk[1]!.longitude, walk[1]!.latitude]).not.toEqual([walk[0]!.longitude, walk[0]!.latitude]);
    expect(walk.every((p) => p.speed === 36 && p.altitude === 12 && [0, 90, 180, 270].includes(p.direction!))).toBe(true);
    expect(walk.every((p) => p.longitude >= 120.15 && p.longitude <= 120.1521 && p.latitude >= 30.28 && p.latitude <= 30.2818)).toBe(true);
    const all = (await gw.api<{ items: ChannelDto[] }>(`/api/channels?search=${ch1}`)).body.items;
    expect(Date.parse(all.find((c) => c.channelId === ch1)!.position!.time)).toBeGreaterThanOrEqual(Date.parse(walk[walk.length - 1]!.time));
  });

  it('after a restart over the same data directory the alarms, their states and the positions are still there', async () => {
    const alarmsBefore = (await page(`deviceId=${deviceId}`)).items;
    const positionsBefore = (await gw.api<ChannelPositionDto[]>(`/api/channels/${ch2}/positions`)).body;
    await device.stop({ unregister: false, timeoutMs: 300 });
    await gw.stop({ keepData: true });
    gw = await startTestGateway(env, gw.dataDir);
    gateways.push(gw);
    const alarmsAfter = (await page(`deviceId=${deviceId}`)).items;
    expect(alarmsAfter).toEqual(alarmsBefore);
    expect(alarmsAfter.map((a) => a.state).sort()).toEqual(['acknowledged', 'cleared', 'open', 'open', 'open']);
    expect((await gw.api<ChannelPositionDto[]>(`/api/channels/${ch2}/positions`)).body).toEqual(positionsBefore);
  }, 30_000);
});
