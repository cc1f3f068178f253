import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpAdapterHost } from '@nestjs/core';
import type { CongestionScore, GatewayEvent, VisionWatchMessage, WorkerToGatewayMessage } from '@gb/contracts';
import { congestionLevelOf } from '@gb/contracts';
import { openDatabase, type Database } from '@gb/persistence';
import { loadConfig } from '../config/config.schema';
import { EventBus } from '../events/event-bus';
import type { StreamsService } from '../streams/streams.service';
import type { NodesService } from '../cluster/nodes.service';
import type { DevicesService } from '../devices/devices.service';
import { CongestionService } from './congestion.service';
import type { VisionLink } from './vision-link';

/** A vision link without a worker: the test plays the worker, and snapshot requests are answered at once (no picture). */
class ScriptedLink implements VisionLink {
  readonly mode = 'embedded' as const;
  readonly watches: VisionWatchMessage[] = [];
  private onMessage: (m: WorkerToGatewayMessage) => void = () => undefined;
  async start(onMessage: (m: WorkerToGatewayMessage) => void): Promise<void> {
    this.onMessage = onMessage;
  }
  watch(m: VisionWatchMessage): void {
    this.watches.push(m);
  }
  unwatch(): void {}
  resetScene(): void {}
  requestSnapshot(channelId: string, requestId: string): void {
    queueMicrotask(() => this.onMessage({ type: 'snapshot', channelId, requestId, jpegBase64: null }));
  }
  workerOf(): string {
    return 'scripted';
  }
  async close(): Promise<void> {}
}

const DEVICE = '34020000001110000071';
const RISING = '34020000001320000071';
const FREE = '34020000001320000072';
const T0 = Date.parse('2026-12-01T08:00:00Z');

function score(roi: string, index: number, stationaryShare: number | null): CongestionScore {
  return {
    roi, t: 0, index, level: congestionLevelOf(index), vehicles: Math.round(index / 5), persons: 0, occupancy: index / 100, spacing: null,
    stationaryShare, meanSpeed: null, speedUnit: null, personsPerM2: null, crowdLevel: null, basis: 'motion',
  };
}

/**
 * The onset warning wired into the congestion service, with the real embedded database: score messages as the
 * worker sends them go in, events and stored alerts come out. The service's other collaborators (streams, nodes,
 * devices, the worker link) are stand-ins: nothing here plays video.
 */
describe('CongestionService onset warnings (scores in, events and alerts out, embedded database)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gb-onset-'));
  const events: GatewayEvent[] = [];
  const link = new ScriptedLink();
  let db: Database;
  let svc: CongestionService;

  beforeAll(async () => {
    // A migrated template from test/global-setup.ts skips PGlite's initdb (as the gateway harness does).
    const template = process.env.GB_TEST_DB_TEMPLATE;
    if (template && existsSync(join(template, 'pgdata'))) cpSync(join(template, 'pgdata'), join(dir, 'pgdata'), { recursive: true });
    db = await openDatabase({ dataDir: dir });
    const cfg = loadConfig({ DATA_DIR: dir, NODE_ID: 'onset-test', VISION_EMBEDDED: 'true', VISION_RETRY_MS: '600000' });
    const bus = new EventBus();
    bus.subscribe((e) => events.push(e));
    // A stream that is always playing: watch() hands the channel to the link and keepAlive() replays nothing.
    const streams = { play: async () => ({ urls: { flv: 'http://127.0.0.1/live/x.flv' } }), get: () => ({ state: 'playing' }) } as unknown as StreamsService;
    const nodes = { onTick: () => undefined } as unknown as NodesService;
    const devices = { onReleased: () => () => undefined } as unknown as DevicesService;
    svc = new CongestionService(cfg, db, bus, streams, { httpAdapter: undefined } as unknown as HttpAdapterHost, link, nodes, devices);
    await svc.onModuleInit();
    await svc.watch(RISING, DEVICE);
    await svc.watch(FREE, DEVICE);
  }, 120_000);

  afterAll(async () => {
    await svc?.onModuleDestroy();
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One score a second per channel, as the worker sends them; `t` is the frame's wall-clock time. */
  const feed = (channelId: string, second: number, s: CongestionScore) => svc.onWorkerMessage({ type: 'score', channelId, t: T0 + second * 1000, scores: [s] });

  it('a queue climbing from free to heavy over 2 minutes publishes congestion.forming before alert.raised; the alert carries warnedAt and leadS; a flat free channel warns and raises nothing', async () => {
    expect(link.watches.map((w) => w.channelId).sort()).toEqual([RISING, FREE]);
    let formingListed = false;
    // 60 s free, 120 s climbing 5 -> 75, then 60 s at 75 (heavy held past ALERT_HOLD_MS, 30 s).
    for (let s = 0; s < 240; s++) {
      const index = s < 60 ? 5 : Math.min(75, 5 + ((s - 60) / 120) * 70);
      feed(RISING, s, score('lane', index, Math.min(1, (index - 5) / 55)));
      feed(FREE, s, score('lane', 8 + 4 * Math.sin(s / 7), 0.05 + 0.05 * Math.sin(s / 11)));
      if (svc.latest().find((c) => c.channelId === RISING)?.forming.some((f) => f.roi === 'lane' && f.slopePerMin >= 10)) formingListed = true;
    }
    const raised = await waitFor(() => events.find((e) => e.type === 'alert.raised'));
    expect(formingListed).toBe(true);

    const kinds = events.filter((e) => e.type.startsWith('congestion.forming') || e.type.startsWith('alert.')).map((e) => [e.type, 'channelId' in e.data ? e.data.channelId : null]);
    expect(kinds).toEqual([['congestion.forming', RISING], ['congestion.forming.ended', RISING], ['alert.raised', RISING]]);
    const forming = events.find((e) => e.type === 'congestion.forming') as Extract<GatewayEvent, { type: 'congestion.forming' }>;
    expect(forming.data).toMatchObject({ channelId: RISING, roi: 'lane' });
    expect(forming.data.index).toBeGreaterThanOrEqual(20);
    expect(forming.data.index).toBeLessThan(60);
    expect(forming.data.stationaryShare).not.toBeNull();
    expect((events.find((e) => e.type === 'congestion.forming.ended') as Extract<GatewayEvent, { type: 'congestion.forming.ended' }>).data).toEqual({ channelId: RISING, roi: 'lane', reason: 'reached' });

    // The index reaches heavy (60) at 60 + 55/70 × 120 ≈ 154 s: raisedAt; the warning came well before it.
    const alert = (raised as Extract<GatewayEvent, { type: 'alert.raised' }>).data;
    expect(alert.warnedAt).toBe(forming.data.at);
    expect(alert.raisedAt).toBe(new Date(T0 + 155_000).toISOString());
    expect(alert.leadS).toBe((Date.parse(alert.raisedAt) - Date.parse(forming.data.at)) / 1000);
    expect(alert.leadS).toBeGreaterThanOrEqual(45);
    const stored = await svc.listAlerts({ channelId: RISING });
    expect(stored.map((a) => [a.warnedAt, a.leadS])).toEqual([[alert.warnedAt, alert.leadS]]);

    // Nothing for the free channel; the warning is over, so GET /api/congestion lists none.
    expect(await svc.listAlerts({ channelId: FREE })).toEqual([]);
    expect(events.some((e) => (e.type === 'congestion.forming' || e.type === 'congestion.forming.ended') && e.data.channelId === FREE)).toBe(false);
    expect(svc.latest().map((c) => c.forming)).toEqual([[], []]);
  });

  it('an alert without a warning before it (a jump straight to heavy) has warnedAt and leadS null; unwatching during a warning ends it with reason reset', async () => {
    const JUMP = '34020000001320000073';
    await svc.watch(JUMP, DEVICE);
    for (let s = 0; s < 45; s++) feed(JUMP, s, score('lane', s < 5 ? 5 : 70, s < 5 ? 0 : 0.9));
    const raised = await waitFor(() => events.find((e) => e.type === 'alert.raised' && e.data.channelId === JUMP));
    expect((raised as Extract<GatewayEvent, { type: 'alert.raised' }>).data).toMatchObject({ warnedAt: null, leadS: null });

    const RESET = '34020000001320000074';
    await svc.watch(RESET, DEVICE);
    for (let s = 0; s < 120 && !svc.latest().find((c) => c.channelId === RESET)?.forming.length; s++) {
      const index = s < 60 ? 5 : 5 + (s - 60) * 0.6;
      feed(RESET, s, score('lane', index, Math.min(1, (index - 5) / 55)));
    }
    expect(svc.latest().find((c) => c.channelId === RESET)?.forming.map((f) => f.roi)).toEqual(['lane']);
    await svc.unwatch(RESET);
    expect(events.filter((e) => e.type === 'congestion.forming.ended' && e.data.channelId === RESET).map((e) => e.data)).toEqual([{ channelId: RESET, roi: 'lane', reason: 'reset' }]);
  });
});

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
