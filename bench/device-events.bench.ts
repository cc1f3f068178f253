// Device events (issue 13 items 2 and 3): what storing alarms and mobile positions costs. MobilePosition bodies parsed
// and checked per second (pure), then against an embedded database (PGlite, as a default install runs): alarm and
// position inserts per second one at a time (as the MESSAGE handler writes them), a filtered alarm page from
// BENCH_EVENTS_ROWS stored alarms, a 1,000-position track, and the latest position of 500 channels (a channel list).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodeMobilePositionNotify, parseManscdp, readMobilePosition } from '../libs/gb28181/src';
import { openDatabase } from '../libs/persistence/src';
import type { BenchResult } from './bench-result';

const GROUP = 'device-events';
const ROWS = Number(process.env.BENCH_EVENTS_ROWS ?? 5000);
const DEV = '34020000001110000001';
const ch = (i: number) => `3402000000132${String(i).padStart(7, '0')}`;

function parseRate(): number {
  const body = encodeMobilePositionNotify({ sn: 1, deviceId: ch(1), time: '2026-12-03T08:00:00', longitude: 120.123456, latitude: 30.654321, speed: 36, direction: 90, altitude: 12 });
  const n = 20_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const m = parseManscdp(body);
    if (m.kind === 'MobilePositionNotify') readMobilePosition(m);
  }
  return n / ((performance.now() - t0) / 1000);
}

async function median(n: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)]!;
}

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = [{ group: GROUP, name: 'MobilePosition parse + check', value: parseRate(), unit: 'msg/s' }];
  const dir = mkdtempSync(join(tmpdir(), 'gb-bench-events-'));
  const db = await openDatabase({ dataDir: join(dir, 'data') });
  try {
    const base = Date.now() - ROWS * 1000;
    let t0 = performance.now();
    for (let i = 0; i < ROWS; i++) {
      await db.deviceAlarms.add({ deviceId: DEV, channelId: ch(i % 100), priority: String(1 + (i % 4)), method: String(1 + (i % 7)), type: null, time: null, description: '视频丢失', longitude: null, latitude: null, receivedAt: new Date(base + i * 1000) });
    }
    out.push({ group: GROUP, name: `alarm insert, one at a time (${ROWS} rows)`, value: ROWS / ((performance.now() - t0) / 1000), unit: 'rows/s', note: 'embedded PGlite' });
    out.push({ group: GROUP, name: `alarm page of 100, filtered by channel+state, of ${ROWS}`, value: await median(21, () => db.deviceAlarms.list({ channelId: ch(7), state: 'open', limit: 100 })), unit: 'ms', better: 'lower' });
    const first = await db.deviceAlarms.list({ limit: 100 });
    const last = first[first.length - 1]!;
    out.push({ group: GROUP, name: 'alarm next page (keyset cursor)', value: await median(21, () => db.deviceAlarms.list({ limit: 100, before: { receivedAt: last.receivedAt, id: last.id } })), unit: 'ms', better: 'lower' });

    t0 = performance.now();
    for (let i = 0; i < ROWS; i++) {
      await db.positions.add({ channelId: ch(i % 500), deviceId: DEV, time: new Date(base + i * 1000), longitude: 120 + i * 1e-5, latitude: 30, speed: 36, direction: 90, altitude: 12, receivedAt: new Date(base + i * 1000) });
    }
    out.push({ group: GROUP, name: `position insert, one at a time (${ROWS} rows)`, value: ROWS / ((performance.now() - t0) / 1000), unit: 'rows/s', note: 'embedded PGlite' });
    out.push({ group: GROUP, name: 'track of one channel (limit 1000)', value: await median(11, () => db.positions.list(ch(3), { limit: 1000 })), unit: 'ms', better: 'lower' });
    const ids = Array.from({ length: 500 }, (_, i) => ch(i));
    out.push({ group: GROUP, name: 'latest position of 500 channels', value: await median(11, () => db.positions.latest(ids)), unit: 'ms', better: 'lower', note: 'what a channel list adds' });
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
