import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AlertDto, ChannelCongestionDto, ChannelDto, DeviceDto, GatewayEvent } from '@gb/contracts';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { DeviceMediaSimulator, SimulatedDevice, buildChannels, channelId } from '../../apps/device-sim/src';
import type { StreamDto } from '../../apps/gateway/src/streams/stream.types';
import type { EventBus } from '../../apps/gateway/src/events/event-bus';

const PASSWORD = '12345678';
/**
 * A queued motorway (TRANCOS cam1): YOLOX-Nano finds ~14 cars below y = 0.37 and none above. The
 * simulator's file source loops video files (a looped still gives no frames), so the test first turns it
 * into a 6 s H.264 clip: a standstill, which is what a jam looks like to the tracker.
 */
const JAM = resolve(process.cwd(), '../shared/media/traffic/trancos_jam_cam1_000042.jpg');
const WHOLE = [[0, 0], [1, 0], [1, 1], [0, 1]];
/** The sky above the road (captions and logo there are masked as on-screen text): nothing to count. */
const TOP_STRIP = [[0, 0], [1, 0], [1, 0.18], [0, 0.18]];

function requireFfmpeg(): void {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout.includes('libx264')) throw new Error('this test needs ffmpeg with libx264 on PATH: install it (apt-get install -y ffmpeg)');
}

/**
 * Live congestion scoring end to end: a simulated GB28181 camera streams a traffic scene (PS over RTP),
 * the real gateway plays it, the embedded vision worker (forked, real YOLOX-Nano) scores it from the
 * gateway's own HTTP-FLV output, and the API shows scores, an alert that fires and clears, its snapshot,
 * the history; watching keeps the stream alive past the idle timeout.
 */
describe('congestion scoring, live (simulated camera -> gateway -> embedded worker)', () => {
  let gw: TestGateway;
  let media: DeviceMediaSimulator;
  let device: SimulatedDevice;
  const deviceId = '34020000001320000931';
  const channel = channelId(deviceId, 1);
  const events: GatewayEvent[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'congestion-live-'));

  beforeAll(async () => {
    requireFfmpeg();
    const clip = join(tmp, 'jam.mp4');
    const enc = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-loop', '1', '-i', JAM, '-t', '6', '-r', '10', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip], { encoding: 'utf8' });
    expect(enc.status, enc.stderr).toBe(0);
    const rtpMin = 40000 + 2 * Math.floor(Math.random() * 9900);
    gw = await startTestGateway({
      SIP_PASSWORD: PASSWORD, RTP_PORT_MIN: String(rtpMin), RTP_PORT_MAX: String(rtpMin + 15),
      STREAM_IDLE_TIMEOUT_MS: '3000', VISION_FPS: '2', VISION_HEARTBEAT_MS: '500', VISION_RETRY_MS: '1000',
      ALERT_LEVEL: 'moderate', ALERT_HOLD_MS: '2000', ALERT_CLEAR_LEVEL: 'light', ALERT_CLEAR_HOLD_MS: '2000', CONGESTION_SAMPLE_MS: '1000',
    });
    const bus = gw.app.get<EventBus>((await import('../../apps/gateway/src/events/event-bus')).EventBus);
    bus.subscribe((e) => events.push(e));
    media = new DeviceMediaSimulator({ file: clip, fps: 10, gop: 10 });
    device = new SimulatedDevice(
      {
        deviceId, serverHost: '127.0.0.1', serverPort: gw.sipPort, serverId: gw.config.SIP_ID, domain: gw.config.SIP_DOMAIN, password: PASSWORD,
        transport: 'udp', localHost: '127.0.0.1', expires: 3600, keepaliveSeconds: 30, charset: 'GB2312', catalogPerMessage: 2,
        channels: buildChannels(deviceId, 0, 1), manufacturer: 'GBSIM', model: 'SIM-IPC', firmware: '1', name: 'congestion-sim', retryDelayMs: 0,
      },
      { onInvite: media.hook },
    );
    expect(await device.start()).toBe('registered');
    await waitFor('the device online', async () => (await gw.api<DeviceDto[]>('/api/devices')).body.some((d) => d.deviceId === deviceId && d.online), 10_000);
    await waitFor('the channel in the catalog', async () => (await gw.api<ChannelDto[]>(`/api/devices/${deviceId}/channels`)).body.some?.((c) => c.channelId === channel), 15_000);
  }, 120_000);

  afterAll(async () => {
    media?.close();
    await device?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
    await gw?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('watch -> scores per ROI in GET /api/congestion; moderate held 2 s raises an alert with a JPEG snapshot; a quiet ROI clears it; ack; history; unwatch', async () => {
    const put = await gw.api<unknown>(`/api/channels/${channel}/rois`, { method: 'PUT', body: JSON.stringify({ rois: [{ id: 'road', polygon: WHOLE }] }) });
    expect(put.status, JSON.stringify(put.body)).toBe(200);

    const w = await gw.api<ChannelCongestionDto>(`/api/channels/${channel}/watch`, { method: 'POST' });
    expect(w.status, JSON.stringify(w.body)).toBe(200);
    expect(w.body).toMatchObject({ channelId: channel, deviceId });

    const scored = await waitFor('a road score at moderate or above', async () => {
      const r = await gw.api<ChannelCongestionDto[]>('/api/congestion');
      const c = r.body.find((x) => x.channelId === channel);
      if (c?.state === 'error') throw new Error(`channel error: ${c.error}`);
      return c && c.scores.find((s) => s.roi === 'road' && ['moderate', 'heavy', 'severe'].includes(s.level)) ? c : null;
    }, 60_000, 250);
    expect(scored.state).toBe('running');
    expect(scored.workerId).toBe('embedded');
    expect(scored.scores[0]!.vehicles).toBeGreaterThan(5);

    const raised = await waitFor('an active alert', async () => (await gw.api<AlertDto[]>(`/api/alerts?state=active&channelId=${channel}`)).body[0], 20_000, 250);
    expect(raised).toMatchObject({ channelId: channel, deviceId, roi: 'road', state: 'active', clearedAt: null, ackedAt: null });
    expect(raised.snapshotUrl).toBe(`/api/alerts/${raised.id}/snapshot`);
    const snap = await fetch(`${gw.httpUrl}${raised.snapshotUrl}`, { headers: await gw.auth() });
    expect(snap.status).toBe(200);
    expect(snap.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await snap.arrayBuffer()).subarray(0, 3).toString('hex')).toBe('ffd8ff');
    expect(events.some((e) => e.type === 'alert.raised' && e.data.id === raised.id)).toBe(true);
    expect(events.some((e) => e.type === 'congestion.score' && e.data.channelId === channel)).toBe(true);

    // Watching holds an FLV connection: the stream outlives STREAM_IDLE_TIMEOUT_MS (3 s) without any other viewer.
    const streams = (await gw.api<StreamDto[]>('/api/streams')).body.filter((s) => s.channelId === channel);
    expect(streams.map((s) => s.state)).toEqual(['playing']);
    expect(Date.now() - Date.parse(streams[0]!.since)).toBeGreaterThan(3000);

    // Same ROI id, moved to the empty top strip: the level falls to free and the alert clears after the clear hold.
    await gw.api(`/api/channels/${channel}/rois`, { method: 'PUT', body: JSON.stringify({ rois: [{ id: 'road', polygon: TOP_STRIP }] }) });
    const cleared = await waitFor('the alert cleared', async () => {
      const a = (await gw.api<AlertDto[]>(`/api/alerts?channelId=${channel}`)).body.find((x) => x.id === raised.id);
      return a?.state === 'cleared' ? a : null;
    }, 30_000, 250);
    expect(Date.parse(cleared.clearedAt!)).toBeGreaterThan(Date.parse(raised.raisedAt));
    expect(events.some((e) => e.type === 'alert.cleared' && e.data.id === raised.id)).toBe(true);

    const ack = await gw.api<AlertDto>(`/api/alerts/${raised.id}/ack`, { method: 'POST' });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ id: raised.id, ackedBy: 'admin' });
    expect(ack.body.ackedAt).not.toBeNull();

    const hist = await waitFor('history points', async () => {
      const r = await gw.api<{ points: { roi: string; index: number; samples: number }[] }>(`/api/congestion/${channel}/history?from=${new Date(Date.now() - 600_000).toISOString()}&step=1`);
      return r.body.points.length >= 3 ? r.body : null;
    }, 10_000, 250);
    expect(hist.points.every((p) => p.roi === 'road' && p.samples >= 1)).toBe(true);
    expect(Math.max(...hist.points.map((p) => p.index))).toBeGreaterThanOrEqual(40);
    expect(Math.min(...hist.points.map((p) => p.index))).toBeLessThan(20);

    expect((await gw.api(`/api/channels/${channel}/watch`, { method: 'DELETE' })).status).toBe(204);
    expect((await gw.api<ChannelCongestionDto[]>('/api/congestion')).body).toEqual([]);
  }, 150_000);

  it('bad requests: an unknown channel is 404, a ROI outside 0–1 or with 2 points is 400, an unknown alert is 404', async () => {
    expect((await gw.api(`/api/channels/34020000001320000999/watch`, { method: 'POST' })).status).toBe(404);
    const bad = await gw.api<{ code: string }>(`/api/channels/${channel}/rois`, { method: 'PUT', body: JSON.stringify({ rois: [{ id: 'x', polygon: [[0, 0], [1.5, 0], [1, 1]] }] }) });
    expect([bad.status, bad.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect((await gw.api(`/api/channels/${channel}/rois`, { method: 'PUT', body: JSON.stringify({ rois: [{ id: 'x', polygon: [[0, 0], [1, 0]] }] }) })).status).toBe(400);
    expect((await gw.api(`/api/alerts/00000000-0000-4000-8000-000000000000/ack`, { method: 'POST' })).status).toBe(404);
    expect((await gw.api(`/api/congestion/${channel}/history?from=yesterday`)).status).toBe(400);
  });
});
