import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ChannelCongestionDto, ChannelDto, DeviceDto, ExclusionZone, VisionWatchMessage } from '@gb/contracts';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { freePort } from '../support/sipp';
import { VISION_LINK } from '../../apps/gateway/src/congestion/congestion.service';
import { DeviceMediaSimulator, SimulatedDevice, buildChannels, channelId } from '../../apps/device-sim/src';

const PASSWORD = '12345678';
const JAM = resolve(process.cwd(), '../shared/media/traffic/trancos_jam_cam1_000165.jpg');

/**
 * The watched set survives a gateway restart: a channel watched before the restart is listed again at
 * once (starting), replayed from the device once the new gateway listens, and scored by a new embedded
 * worker, with nobody calling watch again, and with the exclusion zones put before the restart in its watch message.
 * Unwatching removes it for the next restart too.
 */
describe('congestion watch across a gateway restart', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'congestion-restart-'));
  const gateways: TestGateway[] = [];
  let media: DeviceMediaSimulator | undefined;
  let device: SimulatedDevice | undefined;

  afterAll(async () => {
    media?.close();
    await device?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
    for (const g of gateways) await g.stop().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  });

  /** The watch message the gateway's embedded link last sent (and re-sends to a restarted worker) for the channel. */
  const sentWatch = (g: TestGateway, channel: string) =>
    (g.app.get(VISION_LINK) as unknown as { watches: Map<string, VisionWatchMessage> }).watches.get(channel);

  it('a watched channel resumes scoring (exclusion zones kept) after the restart without a new watch; after unwatch a restart leaves it unwatched', async () => {
    const enc = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-loop', '1', '-i', JAM, '-t', '4', '-r', '10', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', join(tmp, 'jam.mp4')], { encoding: 'utf8' });
    if (enc.error || enc.status !== 0) throw new Error(`this test needs ffmpeg with libx264 on PATH (apt-get install -y ffmpeg): ${enc.stderr ?? enc.error}`);
    const sipPort = await freePort();
    const rtpMin = 40000 + 2 * Math.floor(Math.random() * 9900);
    const env = {
      SIP_PASSWORD: PASSWORD, SIP_PORT: String(sipPort), RTP_PORT_MIN: String(rtpMin), RTP_PORT_MAX: String(rtpMin + 15),
      VISION_FPS: '2', VISION_HEARTBEAT_MS: '500', VISION_RETRY_MS: '1000', KEEPALIVE_INTERVAL_S: '2', KEEPALIVE_MAX_MISSED: '3',
    };
    const first = await startTestGateway(env);
    gateways.push(first);
    const deviceId = '34020000001320000932';
    const channel = channelId(deviceId, 1);
    media = new DeviceMediaSimulator({ file: join(tmp, 'jam.mp4'), fps: 10, gop: 10 });
    device = new SimulatedDevice(
      {
        deviceId, serverHost: '127.0.0.1', serverPort: sipPort, serverId: first.config.SIP_ID, domain: first.config.SIP_DOMAIN, password: PASSWORD,
        transport: 'udp', localHost: '127.0.0.1', expires: 3600, keepaliveSeconds: 1, charset: 'GB2312', catalogPerMessage: 2,
        channels: buildChannels(deviceId, 0, 1), manufacturer: 'GBSIM', model: 'SIM-IPC', firmware: '1', name: 'restart-sim', retryDelayMs: 0,
      },
      { onInvite: media.hook },
    );
    expect(await device.start()).toBe('registered');
    await waitFor('the channel in the catalog', async () => (await first.api<ChannelDto[]>(`/api/devices/${deviceId}/channels`)).body.some?.((c) => c.channelId === channel), 15_000);

    expect((await first.api(`/api/channels/${channel}/watch`, { method: 'POST' })).status).toBe(200);
    const scoredBy = async (g: TestGateway, what: string) =>
      waitFor(what, async () => {
        const c = (await g.api<ChannelCongestionDto[]>('/api/congestion')).body.find((x) => x.channelId === channel);
        return c?.state === 'running' && c.scores.length > 0 ? c : null;
      }, 60_000, 250);
    await scoredBy(first, 'scores before the restart');
    // A tiny zone in a corner: scoring goes on, and the zone travels in the watch message, now and after the restart.
    const zones: ExclusionZone[] = [{ id: 'corner-sign', polygon: [[0, 0], [0.04, 0], [0, 0.04]] }];
    expect((await first.api(`/api/channels/${channel}/rois`, { method: 'PUT', body: JSON.stringify({ rois: [], exclusions: zones }) })).status).toBe(200);
    expect(sentWatch(first, channel)?.exclusions).toEqual(zones);

    await first.stop({ keepData: true });
    const second = await startTestGateway(env, first.dataDir);
    gateways.push(second);
    const listed = (await second.api<ChannelCongestionDto[]>('/api/congestion')).body;
    expect(listed.map((c) => [c.channelId, c.deviceId, c.exclusions])).toEqual([[channel, deviceId, zones]]);
    await waitFor('the device online again (keepalives)', async () => (await second.api<DeviceDto[]>('/api/devices')).body.some((d) => d.deviceId === deviceId && d.online), 15_000);
    const resumed = await scoredBy(second, 'scores after the restart, with no new watch');
    expect(resumed.scores[0]!.vehicles).toBeGreaterThan(5);
    expect(sentWatch(second, channel)?.exclusions).toEqual(zones);

    expect((await second.api(`/api/channels/${channel}/watch`, { method: 'DELETE' })).status).toBe(204);
    await second.stop({ keepData: true });
    const third = await startTestGateway(env, first.dataDir);
    gateways.push(third);
    expect((await third.api<ChannelCongestionDto[]>('/api/congestion')).body).toEqual([]);
  }, 180_000);
});
