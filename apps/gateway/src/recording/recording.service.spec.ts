import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Database, RecordSegmentRow } from '@gb/persistence';
import { specDatabase } from '../../../../libs/persistence/src/testing/spec-database';
import type { GatewayConfig } from '../config/config.schema';
import type { DevicesService } from '../devices/devices.service';
import { EventBus } from '../events/event-bus';
import type { StreamsService } from '../streams/streams.service';
import { DAY_MS } from './retention';
import { RECORD_ORPHAN_GRACE_MS, RecordingService } from './recording.service';

const spec = specDatabase('gb-recording-svc-');
const root = mkdtempSync(join(tmpdir(), 'gb-recording-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const CH = '34020000001320000001';
const DEV = '34020000001110000001';
const NOW = Date.UTC(2026, 11, 3, 12);

function service(db: Database, cfg: Partial<GatewayConfig> = {}): RecordingService {
  const config = { RECORD_DIR: root, DATA_DIR: root, RECORD_RETENTION_DAYS: 7, RECORD_QUOTA_BYTES: 0, RECORD_SEGMENT_S: 60, RECORD_MAX_CHANNELS: 4, ...cfg } as GatewayConfig;
  const streams = { virtualSources: [], virtualDeviceOf: () => Promise.resolve(null) } as unknown as StreamsService;
  const devices = { get: () => undefined } as unknown as DevicesService;
  return new RecordingService(config, db, streams, devices, new EventBus());
}

/** A real file of `bytes` under the root, indexed. */
async function segment(db: Database, startAt: number, bytes: number, end: number | null = startAt + 60_000): Promise<RecordSegmentRow> {
  const path = `${CH}/${new Date(startAt).toISOString().slice(0, 10)}/${startAt}.ts`;
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), Buffer.alloc(bytes, 0x47));
  const row: RecordSegmentRow = { id: randomUUID(), channelId: CH, deviceId: DEV, path, startAt: new Date(startAt), endAt: end === null ? null : new Date(end), bytes: end === null ? 0 : bytes, codec: 'h264' };
  await db.recordings.addSegment(row);
  return row;
}

describe('RecordingService (real database and files, fake clock)', () => {
  beforeAll(async () => {
    await spec.db.dataSource.query('DELETE FROM record_segments');
  });

  it('sweep(): retention deletes segments older than RECORD_RETENTION_DAYS, files and index rows', async () => {
    const db = spec.db;
    const old = await segment(db, NOW - 9 * DAY_MS, 1000);
    const young = await segment(db, NOW - 1 * DAY_MS, 1000);
    await service(db).sweep(NOW);
    expect(existsSync(join(root, old.path))).toBe(false);
    expect(await db.recordings.getSegment(old.id)).toBeUndefined();
    expect(existsSync(join(root, young.path))).toBe(true);
    await db.recordings.deleteSegments([young.id]);
  });

  it('sweep(): past RECORD_QUOTA_BYTES the oldest go first until the rest fits', async () => {
    const db = spec.db;
    const rows = [];
    for (let i = 0; i < 5; i++) rows.push(await segment(db, NOW - (10 - i) * 60_000, 1000));
    await service(db, { RECORD_QUOTA_BYTES: 2500 }).sweep(NOW);
    expect(rows.map((r) => existsSync(join(root, r.path)))).toEqual([false, false, false, true, true]);
    expect(await db.recordings.totalBytes()).toBe(2000);
    await db.recordings.deleteSegments(rows.map((r) => r.id));
  });

  it('repairOrphans(): a segment left without an end is finished from its file (size, modification time); one whose file is gone leaves the index after the grace time', async () => {
    const db = spec.db;
    const crashed = await segment(db, NOW - 30_000, 4700, null);
    utimesSync(join(root, crashed.path), new Date(NOW - 12_000), new Date(NOW - 12_000));
    const gone = await segment(db, Date.now() - RECORD_ORPHAN_GRACE_MS - 60_000, 10, null);
    rmSync(join(root, gone.path));
    // another node's segment being written (its file on that node's disk): left alone within the grace time
    const elsewhere = await segment(db, Date.now() - 30_000, 10, null);
    rmSync(join(root, elsewhere.path));
    expect(await service(db).repairOrphans()).toBe(1);
    expect((await db.recordings.getSegment(elsewhere.id))?.endAt).toBeNull();
    await db.recordings.deleteSegments([elsewhere.id]);
    const fixed = await db.recordings.getSegment(crashed.id);
    expect(fixed).toMatchObject({ bytes: 4700, endAt: new Date(NOW - 12_000) });
    expect(await db.recordings.getSegment(gone.id)).toBeUndefined();
    await db.recordings.deleteSegments([crashed.id]);
  });

  it('events plans: a device alarm keeps the finished segments overlapping [alarm − pre, alarm + post]; the others go once no event can reach them', async () => {
    const db = spec.db;
    const events = new EventBus();
    const config = { RECORD_DIR: root, DATA_DIR: root, RECORD_RETENTION_DAYS: 0, RECORD_QUOTA_BYTES: 0, RECORD_SEGMENT_S: 10, RECORD_MAX_CHANNELS: 4 } as GatewayConfig;
    const s = new RecordingService(config, db, { virtualSources: [], virtualDeviceOf: () => Promise.resolve(null) } as unknown as StreamsService, { get: () => undefined } as unknown as DevicesService, events);
    await db.recordings.putPlan({ channelId: CH, deviceId: DEV, mode: 'events', enabled: true, schedule: [], onAlarm: true, onCongestion: false, preSeconds: 10, postSeconds: 10, updatedAt: new Date(NOW) });
    await s.onModuleInit();
    try {
      const t = Date.now();
      // Five 10 s segments finished around an alarm at t (what the recorder reports as it cuts them).
      const rows: RecordSegmentRow[] = [];
      for (let i = -3; i <= 1; i++) rows.push(await segment(db, t + i * 10_000 - 5_000, 100, t + i * 10_000 + 5_000));
      const pending = (s as unknown as { pending: Map<string, RecordSegmentRow[]> }).pending;
      pending.set(CH, [...rows]);
      events.publish('device.alarm', { id: 'a1', deviceId: DEV, channelId: CH, priority: '1', method: '5', time: null, description: null, type: null, receivedAt: new Date(t).toISOString() } as never);
      // Decided later, when no event can reach the oldest ones any more (their end is before now − pre).
      await s.tick(t + 60_000);
      const kept = await Promise.all(rows.map(async (r) => (await db.recordings.getSegment(r.id)) !== undefined && existsSync(join(root, r.path))));
      // [t−35, t−25) and [t−25, t−15) lie before t − 10: dropped; [t−15, t−5), [t−5, t+5), [t+5, t+15) overlap [t−10, t+10]: kept.
      expect(kept).toEqual([false, false, true, true, true]);
      await db.recordings.deleteSegments(rows.map((r) => r.id));
    } finally {
      await s.beforeApplicationShutdown();
      await db.recordings.deletePlan(CH);
    }
  });

  it('fileOf() refuses paths that leave RECORD_DIR', () => {
    const s = service(spec.db);
    expect(() => s.fileOf('../etc/passwd')).toThrow(/no such recording/);
    expect(() => s.fileOf('/etc/passwd')).toThrow(/no such recording/);
    expect(s.fileOf(`${CH}/x.ts`)).toBe(join(root, CH, 'x.ts'));
  });
});
