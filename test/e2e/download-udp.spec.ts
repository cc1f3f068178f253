import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceDto, GatewayEvent } from '@gb/contracts';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { DeviceMediaSimulator, SimulatedDevice, buildChannels, channelId, type SimInviteEvent } from '../../apps/device-sim/src';
import { EventBus } from '../../apps/gateway/src/events/event-bus';
import type { DownloadDto } from '../../apps/gateway/src/records/download-job';

const PASSWORD = '12345678';
const DEVICE = '34020000001320000732';
const RANGE_S = 4;

function ffprobe(path: string): { codec: string; width: number; height: number; duration: number } {
  const r = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height:format=duration,format_name', '-of', 'json', path], { encoding: 'utf8' });
  if (r.error) throw new Error('this test needs ffprobe on PATH: install it (apt-get install -y ffmpeg)');
  if (r.status !== 0) throw new Error(`ffprobe exited ${r.status}: ${r.stderr}`);
  const j = JSON.parse(r.stdout) as { streams: { codec_name: string; width: number; height: number }[]; format: { duration: string; format_name: string } };
  expect(j.format.format_name).toMatch(/mp4/);
  return { codec: j.streams[0]!.codec_name, width: j.streams[0]!.width, height: j.streams[0]!.height, duration: Number(j.format.duration) };
}

/** s=Download against the real gateway and the device simulator over UDP: MP4 written, progress to 1 on MediaStatus 121. */
describe('downloads of recorded video over UDP', () => {
  let gw: TestGateway;
  let device: SimulatedDevice;
  const media = new DeviceMediaSimulator({ width: 352, height: 288 });
  const channel = channelId(DEVICE, 1);
  const invites: SimInviteEvent[] = [];
  const events: GatewayEvent[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'gbdl-e2e-'));

  beforeAll(async () => {
    const rtpMin = 40000 + 2 * Math.floor(Math.random() * 9900);
    gw = await startTestGateway({ SIP_PASSWORD: PASSWORD, RTP_PORT_MIN: String(rtpMin), RTP_PORT_MAX: String(rtpMin + 15) });
    gw.app.get(EventBus).subscribe((e) => events.push(e));
    media.on('invite', (e) => invites.push(e));
    device = new SimulatedDevice(
      {
        deviceId: DEVICE, serverHost: '127.0.0.1', serverPort: gw.sipPort, serverId: gw.config.SIP_ID, domain: gw.config.SIP_DOMAIN, password: PASSWORD,
        transport: 'udp', localHost: '127.0.0.1', expires: 3600, keepaliveSeconds: 30, charset: 'GB2312', catalogPerMessage: 2,
        channels: buildChannels(DEVICE, 0, 1), manufacturer: 'GBSIM', model: 'SIM-NVR', firmware: '1', name: 'download-sim', retryDelayMs: 0,
      },
      { onInvite: media.hook },
    );
    expect(await device.start()).toBe('registered');
    await waitFor('the device online', async () => (await gw.api<DeviceDto[]>('/api/devices')).body.some((d) => d.deviceId === DEVICE && d.online), 10_000);
  });

  afterAll(async () => {
    media.close();
    await device?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
    await gw?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it(`a ${RANGE_S} s range at speed 4 reaches done with progress 1, and its file is an H.264 MP4 of about ${RANGE_S} s`, async () => {
    const start = 1_709_600_000;
    const post = await gw.api<DownloadDto>(`/api/devices/${DEVICE}/channels/${channel}/downloads`, { method: 'POST', body: JSON.stringify({ start, end: start + RANGE_S, speed: 4 }) });
    expect(post.status).toBe(202);
    expect(post.body).toMatchObject({ state: 'starting', progress: 0, url: `/api/downloads/${post.body.id}/file` });
    const early = await gw.api<{ code: string }>(post.body.url);
    expect(early.status).toBe(409);

    const done = await waitFor(
      'the download done',
      async () => {
        const d = (await gw.api<DownloadDto>(`/api/downloads/${post.body.id}`)).body;
        if (d.state === 'failed') throw new Error(`download failed: ${d.error}`);
        return d.state === 'done' && d;
      },
      20_000,
      200,
    );
    expect(done).toMatchObject({ state: 'done', progress: 1, error: null, deviceId: DEVICE, channelId: channel, start, end: start + RANGE_S, speed: 4 });
    expect(done.bytes).toBeGreaterThan(10_000);
    expect(invites).toHaveLength(1);
    expect(invites[0]).toMatchObject({ sessionName: 'Download', range: { start, end: start + RANGE_S }, downloadSpeed: 4 });
    expect(media.stats.mediaStatusSent).toBe(1);

    const list = await gw.api<DownloadDto[]>('/api/downloads');
    expect(list.body.map((d) => d.id)).toContain(post.body.id);
    const pushed = events.filter((e) => e.type === 'download.progress' && e.data.id === post.body.id).map((e) => e.data as { state: string; progress: number });
    expect(pushed[0]!.state).toBe('starting');
    expect(pushed.at(-1)).toMatchObject({ state: 'done', progress: 1 });

    const r = await fetch(`${gw.httpUrl}${done.url}`, { headers: await gw.auth() });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('video/mp4');
    expect(r.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="${channel}_\\d{8}T\\d{6}Z_\\d{8}T\\d{6}Z\\.mp4"$`));
    const bytes = Buffer.from(await r.arrayBuffer());
    expect(bytes.length).toBe(done.bytes);
    const path = join(tmp, 'dl.mp4');
    writeFileSync(path, bytes);
    const probe = ffprobe(path);
    expect(probe).toMatchObject({ codec: 'h264', width: 352, height: 288 });
    expect(probe.duration).toBeGreaterThan(RANGE_S * 0.75);
    expect(probe.duration).toBeLessThan(RANGE_S * 1.5);

    const unauth = await fetch(`${gw.httpUrl}${done.url}`);
    expect(unauth.status).toBe(401);

    const del = await fetch(`${gw.httpUrl}/api/downloads/${done.id}`, { method: 'DELETE', headers: await gw.auth() });
    expect(del.status).toBe(204);
    expect(existsSync(join(gw.dataDir, 'downloads', `${done.id}.mp4`))).toBe(false);
    expect((await gw.api(`/api/downloads/${done.id}`)).status).toBe(404);
  });

  it('a download with an unsupported speed is a 400 naming the field, and none is started', async () => {
    const before = invites.length;
    const r = await gw.api<{ code: string; message: string }>(`/api/devices/${DEVICE}/channels/${channel}/downloads`, { method: 'POST', body: JSON.stringify({ start: 1_709_600_000, end: 1_709_600_010, speed: 3 }) });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'VALIDATION_FAILED', message: 'speed: must be one of 1, 2, 4, 8' });
    expect(invites.length).toBe(before);
  });
});
