import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import type { DeviceDto } from '@gb/contracts';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { DeviceMediaSimulator, SIM_RECORDS_PER_QUERY, SimulatedDevice, buildChannels, channelId } from '../../apps/device-sim/src';
import type { RecordListDto } from '../../apps/gateway/src/records/record-list.mapper';

const PASSWORD = '12345678';
const DEVICE = '34020000001320000731';

/** Recorded-video search against the real gateway and the device simulator over UDP: RecordInfo in two packets. */
describe('GET /api/devices/:deviceId/channels/:channelId/records over UDP', () => {
  let gw: TestGateway;
  let device: SimulatedDevice;
  const media = new DeviceMediaSimulator();
  const channel = channelId(DEVICE, 1);
  const sipErrors: string[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({ SIP_PASSWORD: PASSWORD, CATALOG_GAP_TIMEOUT_MS: '1000' });
    device = new SimulatedDevice(
      {
        deviceId: DEVICE, serverHost: '127.0.0.1', serverPort: gw.sipPort, serverId: gw.config.SIP_ID, domain: gw.config.SIP_DOMAIN, password: PASSWORD,
        transport: 'udp', localHost: '127.0.0.1', expires: 3600, keepaliveSeconds: 30, charset: 'GB2312', catalogPerMessage: 2,
        channels: buildChannels(DEVICE, 0, 1), manufacturer: 'GBSIM', model: 'SIM-NVR', firmware: '1', name: 'records-sim', retryDelayMs: 0,
      },
      { onInvite: media.hook },
    );
    device.on('error', (e) => sipErrors.push(e.message));
    expect(await device.start()).toBe('registered');
    await waitFor('the device online', async () => (await gw.api<DeviceDto[]>('/api/devices')).body.some((d) => d.deviceId === DEVICE && d.online), 10_000);
  });

  afterAll(async () => {
    media.close();
    await device?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
    await gw?.stop();
  });

  it('a day of recordings (ISO 8601 range) comes back complete, with the records the device listed in two packets, sorted by start', async () => {
    const start = '2024-03-05T00:00:00Z';
    const end = '2024-03-06T00:00:00Z';
    const r = await gw.api<RecordListDto>(`/api/devices/${DEVICE}/channels/${channel}/records?start=${start}&end=${end}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ deviceId: DEVICE, channelId: channel, sumNum: SIM_RECORDS_PER_QUERY, complete: true, dropped: 0 });
    expect(r.body.records).toHaveLength(SIM_RECORDS_PER_QUERY);
    const s0 = Date.parse(start) / 1000;
    const e0 = Date.parse(end) / 1000;
    for (const rec of r.body.records) {
      expect(rec.start).toBeGreaterThanOrEqual(s0);
      expect(rec.end).toBeLessThanOrEqual(e0);
      expect(rec.end).toBeGreaterThan(rec.start);
      expect(new Date(rec.startTime).getTime() / 1000).toBe(rec.start);
      expect(rec.filePath).toMatch(new RegExp(`^/rec/${channel}/\\d\\.ps$`));
      expect(rec.type).toBe('time');
    }
    expect(r.body.records.map((x) => x.start)).toEqual([...r.body.records.map((x) => x.start)].sort((a, b) => a - b));
    // The simulator spreads its recordings evenly over the window it was asked: the query carried our range.
    expect(r.body.records[0]!.start).toBe(s0);
    expect(sipErrors).toEqual([]);
  });

  it('unix-second ranges work too, and a range with end before start is a 400 naming the field', async () => {
    const ok = await gw.api<RecordListDto>(`/api/devices/${DEVICE}/channels/${channel}/records?start=1709596800&end=1709600400`);
    expect(ok.status).toBe(200);
    expect(ok.body.records[0]!.start).toBe(1_709_596_800);
    const bad = await gw.api<{ code: string; message: string }>(`/api/devices/${DEVICE}/channels/${channel}/records?start=1709600400&end=1709596800`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED', message: 'end: must be after start' });
    const long = await gw.api<{ code: string; message: string }>(`/api/devices/${DEVICE}/channels/${channel}/records?start=1700000000&end=1710000000`);
    expect(long.status).toBe(400);
    expect(long.body.message).toMatch(/at most 31 days/);
    const junk = await gw.api<{ code: string; message: string }>(`/api/devices/${DEVICE}/channels/${channel}/records?start=yesterday&end=1710000000`);
    expect(junk.status).toBe(400);
    expect(junk.body.message).toMatch(/^start: must be unix seconds or an ISO 8601/);
  });

  it('an unknown device is a 404 and no query is sent', async () => {
    const r = await gw.api<{ code: string }>(`/api/devices/34020000001320000999/channels/${channel}/records?start=1709596800&end=1709600400`);
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('DEVICE_NOT_FOUND');
  });
});
