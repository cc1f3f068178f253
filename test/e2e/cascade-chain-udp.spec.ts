import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelDto, DeviceAlarmPageDto, DeviceDto } from '@gb/contracts';
import type { SipRequest } from '@gb/gb28181';
import type { QueryEvent } from '../../apps/device-sim/src';
import { SipService } from '../../apps/gateway/src/sip/sip.service';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { probeVideo, requireTool, rtpRangeEnv, segmentFile, startMediaRig, waitForSegments, type MediaRig, type StreamDto } from '../support/media-probe';

/**
 * Issue 11, the chain: two instances of this gateway, the lower one (ID type 200) registered with the upper one with
 * digest as its superior platform, a simulated camera (GB2312 names, PTZ, alarms, real PS media) registered with the
 * lower one. The upper sees the lower as a device with the camera's channel, plays it over UDP and over TCP passive
 * (the upper listens, the lower connects) and ffprobes the HLS at the upper's URL, steers PTZ through it, hears the
 * camera's alarm, and learns from a NOTIFY in its catalog subscription that the camera went offline.
 */
const DOMAIN = '3402000000';
const UPPER_ID = '34020000002000000100';
const LOWER_ID = '34020000002000000200';
const UPPER_PASSWORD = 'upper-devices-pass';

describe('two gateways chained: the lower registers with the upper and shares its camera', () => {
  let upper: TestGateway;
  let lower: MediaRig;
  let platformId: string;
  const atCamera: QueryEvent[] = [];
  /** NOTIFYs the upper received (a spy before its handler: it claims nothing). */
  const notifies: SipRequest[] = [];

  beforeAll(async () => {
    requireTool('ffprobe');
    [upper, lower] = await Promise.all([
      startTestGateway({ SIP_ID: UPPER_ID, SIP_DOMAIN: DOMAIN, SIP_PASSWORD: UPPER_PASSWORD, ...rtpRangeEnv() }),
      startMediaRig({ codec: 'h264', width: 640, height: 360 }, { SIP_ID: LOWER_ID, SIP_DOMAIN: DOMAIN }),
    ]);
    upper.app.get(SipService).intercept('NOTIFY', (r) => {
      notifies.push(r.req);
      return false;
    });
    lower.device.on('query', (q: QueryEvent) => atCamera.push(q));
    const created = await lower.gw.api<{ id: string }>('/api/platforms', {
      method: 'POST',
      body: JSON.stringify({ name: '上级平台', serverId: UPPER_ID, domain: DOMAIN, host: '127.0.0.1', port: upper.sipPort, transport: 'udp', password: UPPER_PASSWORD, shareAll: true }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    platformId = created.body.id;
    await waitFor('the lower online at its superior', async () => (await lower.gw.api<{ state: string }>(`/api/platforms/${created.body.id}`)).body.state === 'online', 10_000);
  }, 60_000);

  afterAll(async () => {
    await lower?.close();
    await upper?.stop();
  });

  const upperChannels = async () => (await upper.api<ChannelDto[]>(`/api/devices/${LOWER_ID}/channels`)).body;

  it('the upper lists the lower as an online device whose catalog holds the camera under its GB2312 name', async () => {
    const [atLower] = (await lower.gw.api<ChannelDto[]>(`/api/devices/${lower.deviceId}/channels`)).body;
    expect(atLower!.name).toMatch(/[\u4e00-\u9fff]/);
    const cam = await waitFor('the shared channel at the upper', async () => (await upperChannels()).find((c) => c.channelId === lower.channelId), 15_000);
    expect(cam.name).toBe(atLower!.name);
    expect(cam.status).toBe('ON');
    expect(cam.isDirectory).toBe(false);
    const dev = (await upper.api<DeviceDto[]>('/api/devices')).body.find((d) => d.deviceId === LOWER_ID);
    expect(dev?.online).toBe(true);
  });

  async function playAtUpper(transport: 'udp' | 'tcp-passive'): Promise<void> {
    const r = await upper.api<StreamDto>(`/api/devices/${LOWER_ID}/channels/${lower.channelId}/play`, { method: 'POST', body: JSON.stringify({ transport }) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.transport).toBe(transport);
    const hls = await waitForSegments(`${upper.httpUrl}${r.body.urls.hls}`, 1, 20_000);
    const seg = await segmentFile(hls);
    try {
      const probe = await probeVideo(seg.path);
      expect(probe).toMatchObject({ codec: 'h264', width: 640, height: 360 });
      expect(probe.frames).toBeGreaterThan(0);
    } finally {
      seg.cleanup();
    }
    // One camera INVITE at the lower, held for the upper; the lower's leg up uses the transport the upper offered.
    expect((await lower.streams()).filter((s) => s.channelId === lower.channelId && s.state === 'playing')).toHaveLength(1);
    const legs = (await lower.gw.api<Array<{ transport: string; state: string; packetsSent: number }>>(`/api/platforms/${platformId}/sessions`)).body;
    expect(legs.find((l) => l.state === 'sending')).toMatchObject({ transport });
    expect((await upper.api(`/api/streams/${r.body.streamId}`, { method: 'DELETE' })).status).toBeLessThan(300);
  }

  it('the upper plays the camera over UDP: ffprobe at the upper\'s HLS URL reads the camera\'s H.264 at 640x360', async () => {
    await playAtUpper('udp');
  }, 45_000);

  it('and over TCP passive (the upper listens, the lower connects)', async () => {
    // The lower's camera stream outlives the UDP leg until its idle timeout: this leg joins it over TCP.
    await playAtUpper('tcp-passive');
  }, 45_000);

  it('PTZ from the upper reaches the simulated camera', async () => {
    const r = await upper.api<{ ptzCmd: string }>(`/api/devices/${LOWER_ID}/channels/${lower.channelId}/ptz`, { method: 'POST', body: JSON.stringify({ action: 'move', pan: -1, speed: 100 }) });
    expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
    const seen = await waitFor('the DeviceControl at the camera', () => atCamera.find((q) => q.cmdType === 'DeviceControl' && q.ptzCmd !== undefined), 5_000);
    expect(seen.ptzCmd).toBe(r.body.ptzCmd);
    expect(seen.targetId).toBe(lower.channelId);
  });

  it('an alarm of the camera appears at the upper', async () => {
    expect(await lower.device.sendAlarm({ channelId: lower.channelId, priority: 1, method: 5, description: '视频丢失', time: '2026-12-02T08:00:00' })).toBe(200);
    const alarm = await waitFor('the alarm at the upper', async () => (await upper.api<DeviceAlarmPageDto>(`/api/device-alarms?deviceId=${LOWER_ID}`)).body.items[0], 5_000);
    expect(alarm).toMatchObject({ channelId: lower.channelId, description: '视频丢失' });
  });

  it('the camera going offline reaches the upper by NOTIFY', async () => {
    const before = notifies.length;
    await lower.device.stop({ unregister: true, timeoutMs: 1000 });
    await waitFor('the channel offline at the upper', async () => (await upperChannels()).find((c) => c.channelId === lower.channelId)?.status === 'OFF', 5_000);
    const offline = notifies.slice(before).find((n) => n.body.toString('latin1').includes(lower.channelId) && /<Event>(OFF|DEL|VLOST)<\/Event>/.test(n.body.toString('latin1')));
    expect(offline, 'a catalog NOTIFY naming the camera with Event OFF').toBeDefined();
    expect(offline!.headers.get('Event')).toMatch(/^Catalog/i);
  });
});
