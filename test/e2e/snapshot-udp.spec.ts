import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeviceDto } from '@gb/contracts';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { DeviceMediaSimulator, SimulatedDevice, buildChannels, channelId, type DeviceMediaOptions } from '../../apps/device-sim/src';
import type { StreamDto } from '../../apps/gateway/src/streams/stream.types';

const PASSWORD = '12345678';
let serial = 733;

function probeImage(path: string): { codec: string; width: number; height: number } {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', path], { encoding: 'utf8' });
  if (r.error) throw new Error('this test needs ffprobe on PATH: install it (apt-get install -y ffmpeg)');
  if (r.status !== 0) throw new Error(`ffprobe exited ${r.status}: ${r.stderr}`);
  const s = (JSON.parse(r.stdout) as { streams: { codec_name: string; width: number; height: number }[] }).streams[0]!;
  return { codec: s.codec_name, width: s.width, height: s.height };
}

/** GET …/snapshot against the real gateway and simulated cameras over UDP: a JPEG of the live stream's next keyframe. */
describe('channel snapshots over UDP', () => {
  let gw: TestGateway;
  const cleanups: (() => Promise<void>)[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'gbsnap-e2e-'));

  beforeAll(async () => {
    const rtpMin = 40000 + 2 * Math.floor(Math.random() * 9900);
    gw = await startTestGateway({ SIP_PASSWORD: PASSWORD, RTP_PORT_MIN: String(rtpMin), RTP_PORT_MAX: String(rtpMin + 15), STREAM_NO_RTP_TIMEOUT_MS: '3000' });
  });

  afterAll(async () => {
    for (const c of cleanups) await c();
    await gw?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  async function camera(opts: DeviceMediaOptions): Promise<{ deviceId: string; channel: string }> {
    const deviceId = `34020000001320000${String(++serial).padStart(3, '0')}`;
    const media = new DeviceMediaSimulator(opts);
    const device = new SimulatedDevice(
      {
        deviceId, serverHost: '127.0.0.1', serverPort: gw.sipPort, serverId: gw.config.SIP_ID, domain: gw.config.SIP_DOMAIN, password: PASSWORD,
        transport: 'udp', localHost: '127.0.0.1', expires: 3600, keepaliveSeconds: 30, charset: 'GB2312', catalogPerMessage: 2,
        channels: buildChannels(deviceId, 0, 1), manufacturer: 'GBSIM', model: 'SIM-IPC', firmware: '1', name: 'snapshot-sim', retryDelayMs: 0,
      },
      { onInvite: media.hook },
    );
    cleanups.push(async () => {
      media.close();
      await device.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
    });
    expect(await device.start()).toBe('registered');
    await waitFor('the device online', async () => (await gw.api<DeviceDto[]>('/api/devices')).body.some((d) => d.deviceId === deviceId && d.online), 10_000);
    return { deviceId, channel: channelId(deviceId, 1) };
  }

  async function snapshot(deviceId: string, channel: string): Promise<Response> {
    return fetch(`${gw.httpUrl}/api/devices/${deviceId}/channels/${channel}/snapshot`, { headers: await gw.auth() });
  }

  it('a 480x272 H.264 camera gives a JPEG of 480x272, and a second snapshot joins the same live stream', async () => {
    const cam = await camera({ width: 480, height: 272, fps: 25, gop: 25 });
    const t0 = Date.now();
    const r = await snapshot(cam.deviceId, cam.channel);
    const firstMs = Date.now() - t0;
    expect(r.status, await r.clone().text().catch(() => '')).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/jpeg');
    const jpeg = Buffer.from(await r.arrayBuffer());
    expect([jpeg[0], jpeg[1]]).toEqual([0xff, 0xd8]);
    const path = join(tmp, 'a.jpg');
    writeFileSync(path, jpeg);
    expect(probeImage(path)).toEqual({ codec: 'mjpeg', width: 480, height: 272 });
    expect(firstMs).toBeLessThan(10_000);

    const again = await snapshot(cam.deviceId, cam.channel);
    expect(again.status).toBe(200);
    expect(again.headers.get('x-stream-id')).toBe(r.headers.get('x-stream-id'));
    const live = await gw.api<StreamDto[]>('/api/streams');
    expect(live.body.filter((s) => s.channelId === cam.channel && s.kind === 'live')).toHaveLength(1);
  });

  it('an H.265 camera gives a JPEG of its size', async () => {
    const cam = await camera({ codec: 'h265', width: 320, height: 240, fps: 25, gop: 25 });
    const r = await snapshot(cam.deviceId, cam.channel);
    expect(r.status, await r.clone().text().catch(() => '')).toBe(200);
    const path = join(tmp, 'b.jpg');
    writeFileSync(path, Buffer.from(await r.arrayBuffer()));
    expect(probeImage(path)).toEqual({ codec: 'mjpeg', width: 320, height: 240 });
  });

  it('a camera that answers the INVITE but sends no RTP gives a 504 that says no media arrived', async () => {
    const cam = await camera({ noRtp: true });
    const r = await snapshot(cam.deviceId, cam.channel);
    expect(r.status).toBe(504);
    const body = (await r.json()) as { code: string; message: string };
    expect(body.code).toBe('MEDIA_NO_RTP');
    expect(body.message).toMatch(/no media within 3000 ms/);
  });
});
