import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamDto } from '@gb/contracts';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { startSimDevice } from '../support/sim-device';
import { MEDIA_PASSWORD, requireTool, rtpRangeEnv } from '../support/media-probe';
import { parseExposition, sample, type Family } from '../support/prometheus-text';
import { buildSipRequest, statusOf, udpExchange } from '../support/raw-sip';
import { DeviceMediaSimulator, channelId, type SimulatedDevice } from '../../apps/device-sim/src';

const DEVICE_ID = '34020000001320000911';

/** Every family the operations notes promise on a gateway, with its type. */
const REQUIRED: Record<string, string> = {
  gb_devices_online: 'gauge',
  gb_registrations_total: 'counter',
  gb_signalling_failures_total: 'counter',
  gb_keepalives_total: 'counter',
  gb_sip_messages_received_total: 'counter',
  gb_sip_sent_total: 'counter',
  gb_sip_retransmissions_total: 'counter',
  gb_streams: 'gauge',
  gb_rtp_packets_total: 'counter',
  gb_rtp_bytes_total: 'counter',
  gb_rtp_packets_lost_total: 'counter',
  gb_viewers: 'gauge',
  gb_stream_first_frame_seconds: 'histogram',
  gb_ffmpeg_children: 'gauge',
  gb_transcodes: 'gauge',
  nodejs_eventloop_lag_seconds: 'gauge',
  gb_alerts_active: 'gauge',
};

describe('GET /metrics covers devices, SIP, streams and media (a simulated camera over UDP)', () => {
  let gw: TestGateway;
  let device: SimulatedDevice | undefined;
  let media: DeviceMediaSimulator | undefined;

  async function scrape(): Promise<Map<string, Family>> {
    const res = await fetch(`http://127.0.0.1:${gw.metricsPort}/metrics`);
    expect(res.status).toBe(200);
    return parseExposition(await res.text());
  }
  const value = (f: Map<string, Family>, name: string, labels: Record<string, string> = {}) => sample(f, name, labels) ?? NaN;

  beforeAll(async () => {
    requireTool('ffmpeg');
    gw = await startTestGateway({ SIP_PASSWORD: MEDIA_PASSWORD, ...rtpRangeEnv() });
  });
  afterAll(async () => {
    media?.close();
    await device?.stop({ unregister: false, timeoutMs: 300 }).catch(() => undefined);
    await gw?.stop();
  });

  it('every required family is present, with HELP and its type, before any device', async () => {
    const f = await scrape();
    for (const [name, type] of Object.entries(REQUIRED)) {
      expect(f.get(name)?.type, name).toBe(type);
      expect(f.get(name)?.help, name).toBeTruthy();
    }
    expect(value(f, 'gb_registrations_total')).toBe(0);
    expect(value(f, 'gb_keepalives_total')).toBe(0);
    expect(value(f, 'gb_rtp_packets_total')).toBe(0);
    expect(value(f, 'gb_viewers', { protocol: 'flv' })).toBe(0);
    expect(value(f, 'gb_sip_retransmissions_total', { direction: 'sent' })).toBe(0);
    expect(value(f, 'gb_alerts_active')).toBe(0);
    expect(value(f, 'gb_ffmpeg_children')).toBeGreaterThanOrEqual(0);
    expect(value(f, 'gb_transcodes', { state: 'running' })).toBe(0);
    expect(value(f, 'gb_transcodes', { state: 'limit' })).toBeGreaterThan(0);
  });

  it('a request sent twice (same branch) moves gb_sip_retransmissions_total: received once, and our answer sent again once', async () => {
    const before = await scrape();
    const req = buildSipRequest({ method: 'FOO', fromUser: '34020000001320000999' });
    // No handler for FOO: a 405 from a server transaction, which absorbs the retransmission and re-sends its 405.
    expect(statusOf(await udpExchange(gw.sipPort, req))).toBe(405);
    await udpExchange(gw.sipPort, req, { timeoutMs: 200 });
    const after = await waitFor('the retransmission counted', async () => {
      const f = await scrape();
      return value(f, 'gb_sip_retransmissions_total', { direction: 'received' }) > value(before, 'gb_sip_retransmissions_total', { direction: 'received' }) ? f : undefined;
    }, 3000);
    expect(value(after, 'gb_sip_retransmissions_total', { direction: 'received' }) - value(before, 'gb_sip_retransmissions_total', { direction: 'received' })).toBe(1);
    expect(value(after, 'gb_sip_retransmissions_total', { direction: 'sent' }) - value(before, 'gb_sip_retransmissions_total', { direction: 'sent' })).toBe(1);
  });

  it('a device that registers and sends keepalives moves gb_registrations_total, gb_keepalives_total and SIP in/out', async () => {
    const before = await scrape();
    media = new DeviceMediaSimulator({ codec: 'h264', width: 320, height: 180 });
    device = await startSimDevice(gw, { deviceId: DEVICE_ID, password: MEDIA_PASSWORD, channels: 1, extra: { keepaliveSeconds: 1 }, hooks: { onInvite: media.hook } });
    const after = await waitFor('two keepalives counted', async () => {
      const f = await scrape();
      return value(f, 'gb_keepalives_total') >= 2 ? f : undefined;
    }, 10_000);
    expect(value(after, 'gb_registrations_total')).toBe(1);
    expect(value(after, 'gb_devices_online', { transport: 'udp' })).toBe(1);
    expect(value(after, 'gb_sip_messages_received_total', { transport: 'udp' })).toBeGreaterThan(value(before, 'gb_sip_messages_received_total', { transport: 'udp' }));
    expect(value(after, 'gb_sip_sent_total')).toBeGreaterThan(value(before, 'gb_sip_sent_total'));
  });

  it('a live stream moves gb_rtp_packets_total and gb_rtp_bytes_total, observes one first frame, and counts an FLV viewer', async () => {
    const ch = channelId(DEVICE_ID, 1);
    const r = await gw.api<StreamDto>(`/api/devices/${DEVICE_ID}/channels/${ch}/play`, { method: 'POST', body: JSON.stringify({ transport: 'udp' }) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.state).toBe('playing');
    const playing = await scrape();
    expect(value(playing, 'gb_streams', { state: 'playing' })).toBe(1);
    expect(value(playing, 'gb_stream_first_frame_seconds_count', { kind: 'live', transport: 'udp' })).toBe(1);
    const firstFrame = value(playing, 'gb_stream_first_frame_seconds_sum', { kind: 'live', transport: 'udp' });
    expect(firstFrame).toBeGreaterThan(0);
    expect(firstFrame).toBeLessThan(gw.config.STREAM_NO_RTP_TIMEOUT_MS / 1000);
    const packets = value(playing, 'gb_rtp_packets_total');
    expect(packets).toBeGreaterThan(0);
    expect(value(playing, 'gb_rtp_bytes_total')).toBeGreaterThan(packets * 12); // at least an RTP header each
    await waitFor('more RTP counted', async () => value(await scrape(), 'gb_rtp_packets_total') > packets, 5000);

    // One FLV viewer while its response is open.
    const flv = await fetch(`${gw.httpUrl}${r.body.urls.flv}`);
    expect(flv.status).toBe(200);
    const reader = flv.body!.getReader();
    await reader.read();
    try {
      await waitFor('the FLV viewer counted', async () => value(await scrape(), 'gb_viewers', { protocol: 'flv' }) === 1, 5000);
    } finally {
      await reader.cancel();
    }

    // Counters survive the stream: after a stop the total does not fall.
    const last = value(await scrape(), 'gb_rtp_packets_total');
    expect((await gw.api(`/api/streams/${r.body.streamId}`, { method: 'DELETE' })).status).toBeLessThan(300);
    const stopped = await waitFor('the stream gone', async () => {
      const f = await scrape();
      return value(f, 'gb_streams', { state: 'playing' }) === 0 ? f : undefined;
    }, 5000);
    expect(value(stopped, 'gb_rtp_packets_total')).toBeGreaterThanOrEqual(last);
    expect(value(stopped, 'gb_viewers', { protocol: 'flv' })).toBe(0);
  }, 45_000);
});
