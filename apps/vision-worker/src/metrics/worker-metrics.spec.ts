import { afterEach, describe, expect, it } from 'vitest';
import { parseExposition, sample } from '../../../../test/support/prometheus-text';
import type { WorkerToGatewayMessage } from '../contracts';
import type { RgbFrame } from '../frames/rgb-frame';
import { ChannelRunner } from '../live/channel-runner';
import { loadWorkerConfig } from '../live/worker-config';
import { MetricsHttpServer } from '@gb/runtime';
import { FPS_WINDOW_S, WorkerMetrics } from './worker-metrics';

describe('WorkerMetrics on its MetricsHttpServer', () => {
  const listeners: MetricsHttpServer[] = [];
  afterEach(async () => {
    await Promise.all(listeners.splice(0).map((l) => l.close()));
  });

  async function serve(m: WorkerMetrics): Promise<string> {
    const l = new MetricsHttpServer(m);
    listeners.push(l);
    const port = await l.listen(0, '127.0.0.1');
    expect(port).toBeGreaterThan(0);
    return `http://127.0.0.1:${port}`;
  }

  it('GET /metrics on port 0 answers Prometheus text with the frames, inference, queue lag, channels and source errors recorded', async () => {
    let now = 1_000_000;
    const m = new WorkerMetrics(() => now);
    m.channelStarted();
    m.channelStarted();
    m.channelStopped();
    for (let i = 0; i < 20; i++) m.frameScored(0.002, 0.04);
    m.frameScored(0.3, 0.6);
    m.frameDropped();
    m.frameFailed();
    m.sourceFailed();
    now += 500; // same second window

    const url = await serve(m);
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4(;|$)/);
    const f = parseExposition(await res.text());

    expect(f.get('gb_vision_frames_total')?.type).toBe('counter');
    expect(sample(f, 'gb_vision_frames_total')).toBe(21);
    expect(f.get('gb_vision_frames_per_second')?.type).toBe('gauge');
    expect(sample(f, 'gb_vision_frames_per_second')).toBeCloseTo(21 / FPS_WINDOW_S);
    expect(f.get('gb_vision_inference_seconds')?.type).toBe('histogram');
    expect(sample(f, 'gb_vision_inference_seconds_count')).toBe(21);
    expect(sample(f, 'gb_vision_inference_seconds_sum')).toBeCloseTo(20 * 0.04 + 0.6);
    expect(sample(f, 'gb_vision_inference_seconds_bucket', { le: '0.05' })).toBe(20);
    expect(sample(f, 'gb_vision_inference_seconds_bucket', { le: '+Inf' })).toBe(21);
    expect(f.get('gb_vision_queue_lag_seconds')?.type).toBe('histogram');
    expect(sample(f, 'gb_vision_queue_lag_seconds_bucket', { le: '0.005' })).toBe(20);
    expect(sample(f, 'gb_vision_queue_lag_seconds_count')).toBe(21);
    expect(sample(f, 'gb_vision_channels')).toBe(1);
    expect(sample(f, 'gb_vision_source_errors_total')).toBe(1);
    expect(sample(f, 'gb_vision_frames_dropped_total')).toBe(1);
    expect(sample(f, 'gb_vision_frame_errors_total')).toBe(1);
    for (const name of ['gb_vision_frames_total', 'gb_vision_frames_per_second', 'gb_vision_inference_seconds', 'gb_vision_queue_lag_seconds', 'gb_vision_channels', 'gb_vision_source_errors_total']) {
      expect(f.get(name)?.help, name).toBeTruthy();
    }
    // prom-client's process metrics, in this registry.
    expect(sample(f, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(f.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
  });

  it('gb_vision_frames_per_second forgets frames older than its window', async () => {
    let now = 5_000_000;
    const m = new WorkerMetrics(() => now);
    for (let i = 0; i < 30; i++) m.frameScored(0, 0.01);
    expect(m.framesPerSecond()).toBeCloseTo(3);
    now += (FPS_WINDOW_S - 1) * 1000;
    for (let i = 0; i < 10; i++) m.frameScored(0, 0.01);
    expect(m.framesPerSecond()).toBeCloseTo(4);
    now += 1000; // the first second left the window
    expect(m.framesPerSecond()).toBeCloseTo(1);
    now += FPS_WINDOW_S * 1000;
    expect(m.framesPerSecond()).toBe(0);
  });

  it('any other path is a 404, a POST to /metrics a 405', async () => {
    const url = await serve(new WorkerMetrics());
    for (const path of ['/', '/metrics/', '/health', '/api/metrics']) expect((await fetch(`${url}${path}`)).status, path).toBe(404);
    expect((await fetch(`${url}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('loadWorkerConfig() reads METRICS_ENABLED, METRICS_HOST and METRICS_PORT (default 127.0.0.1:9465, 0 = any port) and refuses a bad port', () => {
    expect(loadWorkerConfig({})).toMatchObject({ metricsEnabled: true, metricsHost: '127.0.0.1', metricsPort: 9465 });
    expect(loadWorkerConfig({ METRICS_ENABLED: 'false', METRICS_HOST: '10.0.0.5', METRICS_PORT: '0' })).toMatchObject({ metricsEnabled: false, metricsHost: '10.0.0.5', metricsPort: 0 });
    for (const bad of ['x', '-1', '65536', '1.5']) expect(() => loadWorkerConfig({ METRICS_PORT: bad }), bad).toThrow(/METRICS_PORT/);
  });

  it('a ChannelRunner records each scored frame, its channel while it runs, and a source that ends as a source error', async () => {
    const m = new WorkerMetrics();
    const frame = (): RgbFrame => ({ width: 32, height: 24, data: Buffer.alloc(32 * 24 * 3, 90) });
    const out: WorkerToGatewayMessage[] = [];
    let opened = 0;
    const runner = new ChannelRunner(
      { type: 'watch', channelId: '34020000001320000001', deviceId: '34020000001320000000', sourceUrl: 'rtsp://cam/1', fps: 5, rois: [] },
      {
        workerId: 'w1', retryMs: 10_000, now: Date.now, emit: (x) => out.push(x), metrics: m,
        detector: async () => ({ detect: async () => [{ x1: 2, y1: 2, x2: 12, y2: 10, score: 0.9, classId: 2, label: 'car' }] }),
        openSource: () => ({
          async run(onFrame) {
            opened++;
            for (let i = 0; i < 3; i++) {
              onFrame(frame());
              await new Promise((r) => setTimeout(r, 20));
            }
          },
          close() {},
        }),
      },
    );
    runner.start();
    const read = async (name: string) => sample(parseExposition(await m.scrape()), name);
    expect(await read('gb_vision_channels')).toBe(1);
    const deadline = Date.now() + 3000;
    while ((await read('gb_vision_source_errors_total')) !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(opened).toBe(1);
    expect(await read('gb_vision_source_errors_total')).toBe(1);
    expect(await read('gb_vision_frames_total')).toBe(runner.scored);
    expect(runner.scored).toBeGreaterThanOrEqual(1);
    expect(await read('gb_vision_inference_seconds_count')).toBe(runner.scored);
    expect(await read('gb_vision_queue_lag_seconds_count')).toBe(runner.scored);
    await runner.stop();
    await runner.stop();
    expect(await read('gb_vision_channels')).toBe(0);
  });
});
