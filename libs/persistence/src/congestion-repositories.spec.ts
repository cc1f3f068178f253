import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from './open-database';

const root = mkdtempSync(join(tmpdir(), 'gb-congestion-db-'));
let db: Database;

beforeAll(async () => {
  db = await openDatabase({ dataDir: join(root, 'data') });
}, 180_000);

afterAll(async () => {
  await db?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('congestion schema (migration 1795910400000)', () => {
  it('the hand-written migration and the rois / congestion_samples / alerts entities agree (no pending change)', async () => {
    const pending = await db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });
});

describe('RoiRepository', () => {
  it('replace() swaps the whole set of a channel and list() returns it in the given order with calibration', async () => {
    const ch = '34020000001320000001';
    await db.rois.replace(ch, '34020000001110000001', [
      { roiId: 'b', polygon: [[0, 0], [1, 0], [1, 1]], calibration: null },
      { roiId: 'a', polygon: [[0, 0], [0.5, 0], [0.5, 0.5]], calibration: { metresPerPixel: 0.05 } },
    ]);
    expect((await db.rois.list(ch)).map((r) => r.roiId)).toEqual(['b', 'a']);
    await db.rois.replace(ch, '34020000001110000001', [{ roiId: 'c', polygon: [[0, 0], [1, 0], [0, 1]], calibration: null }]);
    expect(await db.rois.list(ch)).toEqual([{ roiId: 'c', polygon: [[0, 0], [1, 0], [0, 1]], calibration: null }]);
    await db.rois.replace(ch, '34020000001110000001', []);
    expect(await db.rois.list(ch)).toEqual([]);
  });
});

describe('CongestionRepository', () => {
  it('range() returns the samples between from and to oldest first; a sample at the same t replaces the old one; prune() drops older rows', async () => {
    const base = Date.parse('2026-01-01T00:00:00Z');
    const row = (i: number, index: number) => ({ channelId: 'c1', roiId: 'frame', t: new Date(base + i * 5000), index, maxIndex: index, level: 'free', vehicles: 1, persons: 0, samples: 5 });
    await db.congestion.insertMany([row(0, 10), row(1, 20), row(2, 30), row(3, 40)]);
    await db.congestion.insertMany([row(2, 35)]);
    const got = await db.congestion.range('c1', new Date(base + 5000), new Date(base + 15000));
    expect(got.map((r) => [r.t.getTime() - base, r.index])).toEqual([[5000, 20], [10000, 35], [15000, 40]]);
    expect(await db.congestion.prune(new Date(base + 10000))).toBe(2);
    expect((await db.congestion.range('c1', new Date(0), new Date(base + 60000))).length).toBe(2);
  });
});

describe('AlertRepository', () => {
  it('create() stores an active alert; update() clears and acknowledges it; list() filters by state, newest first', async () => {
    const a = await db.alerts.create({ channelId: 'c1', deviceId: 'd1', roiId: 'frame', level: 'heavy', peakIndex: 70, raisedAt: new Date('2026-01-01T00:00:00Z'), snapshotFile: null });
    const b = await db.alerts.create({ channelId: 'c2', deviceId: 'd1', roiId: 'frame', level: 'severe', peakIndex: 90, raisedAt: new Date('2026-01-01T00:01:00Z'), snapshotFile: 'x.jpg' });
    expect(a.state).toBe('active');
    const cleared = await db.alerts.update(a.id, { state: 'cleared', clearedAt: new Date('2026-01-01T00:02:00Z'), ackedAt: new Date('2026-01-01T00:03:00Z'), ackedBy: 'admin' });
    expect(cleared).toMatchObject({ state: 'cleared', ackedBy: 'admin' });
    expect((await db.alerts.list()).map((r) => r.id)).toEqual([b.id, a.id]);
    expect((await db.alerts.list({ state: 'active' })).map((r) => r.id)).toEqual([b.id]);
    expect((await db.alerts.listActive()).map((r) => r.id)).toEqual([b.id]);
    expect(await db.alerts.get('00000000-0000-4000-8000-000000000000')).toBeNull();
  });

  it('create() keeps the onset warning time (warned_at, migration 1796515200000) and defaults it to null', async () => {
    const warned = await db.alerts.create({ channelId: 'c3', deviceId: 'd1', roiId: 'lane', level: 'heavy', peakIndex: 66, raisedAt: new Date('2026-01-01T00:05:00Z'), snapshotFile: null, warnedAt: new Date('2026-01-01T00:04:15Z') });
    const plain = await db.alerts.create({ channelId: 'c3', deviceId: 'd1', roiId: 'lane', level: 'heavy', peakIndex: 61, raisedAt: new Date('2026-01-01T00:06:00Z'), snapshotFile: null });
    expect((await db.alerts.get(warned.id))?.warnedAt?.toISOString()).toBe('2026-01-01T00:04:15.000Z');
    expect((await db.alerts.get(plain.id))?.warnedAt).toBeNull();
  });
});

describe('WatchRepository', () => {
  it('add() is idempotent and keeps the first since; list() orders by since; remove() drops one and ignores an absent one', async () => {
    const dev = '34020000001110000001';
    await db.watches.add('34020000001320000002', dev, new Date('2026-11-29T00:00:02Z'));
    await db.watches.add('34020000001320000001', dev, new Date('2026-11-29T00:00:01Z'));
    await db.watches.add('34020000001320000002', dev, new Date('2026-11-29T00:00:09Z'));
    expect(await db.watches.list()).toEqual([
      { channelId: '34020000001320000001', deviceId: dev, since: new Date('2026-11-29T00:00:01Z'), nodeId: null, leaseUntil: null },
      { channelId: '34020000001320000002', deviceId: dev, since: new Date('2026-11-29T00:00:02Z'), nodeId: null, leaseUntil: null },
    ]);
    await db.watches.remove('34020000001320000001');
    await db.watches.remove('34020000001320000009');
    expect((await db.watches.list()).map((w) => w.channelId)).toEqual(['34020000001320000002']);
  });
});
