import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { startSimDevice } from '../support/sim-device';
import { SimulatedDevice, buildChannels } from '../../apps/device-sim/src';
import { MetricsService } from '../../apps/gateway/src/metrics/metrics.service';
import { parseExposition, sample, type Family } from '../support/prometheus-text';

const DEVICE_ID = '34020000001320000901';
const INTRUDER_ID = '34020000001320000902';
const PASSWORD = '12345678';

describe('GET /metrics on the metrics listener (METRICS_PORT=0)', () => {
  let gw: TestGateway;
  const devices: SimulatedDevice[] = [];

  async function scrape(): Promise<{ res: Response; families: Map<string, Family> }> {
    const res = await fetch(`http://127.0.0.1:${gw.metricsPort}/metrics`);
    return { res, families: parseExposition(await res.text()) };
  }

  beforeAll(async () => {
    // One SIP TCP connection per source host, so a second one is refused and counted.
    gw = await startTestGateway({ METRICS_PORT: '0', SIP_PASSWORD: PASSWORD, SIP_TCP_MAX_CONNECTIONS_PER_HOST: '1' });
  });
  afterAll(async () => {
    await Promise.all(devices.map((d) => d.stop({ unregister: false, timeoutMs: 500 })));
    await gw?.stop();
  });

  it('is served on its own port, bound to loopback, as Prometheus text 0.0.4 with a TYPE for every sample', async () => {
    expect(gw.metricsPort).toBeGreaterThan(0);
    // METRICS_HOST is left at its default by the harness: loopback.
    expect(gw.app.get(MetricsService).address).toMatchObject({ address: '127.0.0.1', port: gw.metricsPort });
    expect(gw.metricsPort).not.toBe(Number(new URL(gw.httpUrl).port));
    const { res, families } = await scrape();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4(;|$)/);
    for (const name of ['gb_devices_online', 'gb_devices_total', 'gb_streams', 'gb_stream_resources', 'gb_rtp_ports', 'gb_sip_transactions', 'gb_signalling_failures_total', 'gb_sip_tcp_limit_total']) {
      expect(families.get(name)?.help, name).toBeTruthy();
    }
    expect(families.get('gb_signalling_failures_total')?.type).toBe('counter');
    expect(families.get('gb_devices_total')?.type).toBe('gauge');
    // prom-client's process metrics, from this gateway's own registry.
    expect(families.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
    expect(sample(families, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    // Nothing is open yet: every stream state and resource is exported, as 0.
    expect(sample(families, 'gb_streams', { state: 'playing' })).toBe(0);
    for (const kind of ['sessions', 'dialogs', 'ports', 'ssrcs', 'invites']) expect(sample(families, 'gb_stream_resources', { kind })).toBe(0);
    expect(sample(families, 'gb_sip_tcp_limit_total', { code: 'SIP_TCP_ACCEPT_RATE' })).toBe(0);
    expect(sample(families, 'gb_rtp_ports', { state: 'in_use' })).toBe(0);
  });

  it('answers 404 for any other path and 405 for a POST', async () => {
    expect((await fetch(`http://127.0.0.1:${gw.metricsPort}/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${gw.metricsPort}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('is not served on the API port', async () => {
    for (const path of ['/metrics', '/api/metrics']) expect([401, 404], path).toContain((await fetch(`${gw.httpUrl}${path}`)).status);
  });

  it('gb_devices_total goes from 0 to 1 when a device registers, and it counts as online over UDP', async () => {
    expect(sample((await scrape()).families, 'gb_devices_total')).toBe(0);
    devices.push(await startSimDevice(gw, { deviceId: DEVICE_ID, password: PASSWORD, channels: 1 }));
    const { families } = await scrape();
    expect(sample(families, 'gb_devices_total')).toBe(1);
    expect(sample(families, 'gb_devices_online', { transport: 'udp' })).toBe(1);
    expect(sample(families, 'gb_devices_online', { transport: 'tcp' })).toBe(0);
    expect(sample(families, 'gb_sip_messages_received_total', { transport: 'udp' })).toBeGreaterThan(0);
  });

  it('a REGISTER with a digest from the wrong password moves gb_signalling_failures_total{kind="forbidden"} by one', async () => {
    const before = sample((await scrape()).families, 'gb_signalling_failures_total', { kind: 'forbidden' }) ?? NaN;
    const intruder = new SimulatedDevice({
      deviceId: INTRUDER_ID, serverHost: '127.0.0.1', serverPort: gw.sipPort, serverId: gw.config.SIP_ID, domain: gw.config.SIP_DOMAIN, password: 'not-the-password',
      transport: 'udp', localHost: '127.0.0.1', expires: 3600, keepaliveSeconds: 30, charset: 'GB2312', catalogPerMessage: 2,
      channels: buildChannels(INTRUDER_ID, 0, 1), manufacturer: 'GBSIM', model: 'SIM', firmware: '1', name: 'intruder', retryDelayMs: 60_000,
    });
    devices.push(intruder);
    expect(await intruder.start()).toBe('forbidden');
    const after = await waitFor('the forbidden REGISTER counted', async () => {
      const v = sample((await scrape()).families, 'gb_signalling_failures_total', { kind: 'forbidden' });
      return v !== undefined && v > before ? v : undefined;
    });
    expect(after - before).toBe(1);
    expect(sample((await scrape()).families, 'gb_devices_total')).toBe(1);
  });

  it('a SIP TCP connection refused at the per-host limit moves gb_sip_tcp_limit_total by one', async () => {
    const refused = (f: Map<string, Family>) => (sample(f, 'gb_sip_tcp_limit_total', { code: 'SIP_TCP_HOST_LIMIT' }) ?? NaN) + (sample(f, 'gb_sip_tcp_limit_total', { code: 'SIP_TCP_ACCEPT_RATE' }) ?? NaN);
    const before = refused((await scrape()).families);
    const connect = () =>
      new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(gw.sipPort, '127.0.0.1', () => resolve(s)).once('error', reject);
      });
    const first = await connect();
    try {
      // The second one from the same host is over SIP_TCP_MAX_CONNECTIONS_PER_HOST=1 (or its accept budget): reset at once.
      await new Promise((r) => net.connect(gw.sipPort, '127.0.0.1').on('error', () => undefined).once('close', r));
      await waitFor('the refusal counted', async () => refused((await scrape()).families) === before + 1);
    } finally {
      first.destroy();
    }
  });
});

describe('the metrics listener with METRICS_ENABLED=false', () => {
  it('is not started: RunningGateway.metricsPort is undefined', async () => {
    const gw = await startTestGateway({ METRICS_ENABLED: 'false' });
    try {
      expect(gw.metricsPort).toBeUndefined();
    } finally {
      await gw.stop();
    }
  });
});
