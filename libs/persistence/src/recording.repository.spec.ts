import { describe, expect, it } from 'vitest';
import { specDatabase } from './testing/spec-database';
import type { RecordPlanRow, RecordSegmentRow } from './repositories/recording.repository';

const spec = specDatabase('gb-recordings-db-');

const at = (s: string) => new Date(`2026-12-03T${s}.000Z`);
const seg = (id: string, start: string, end: string | null, extra: Partial<RecordSegmentRow> = {}): RecordSegmentRow => ({
  id, channelId: '34020000001320000001', deviceId: '34020000001110000001', path: `34020000001320000001/2026-12-03/${id}.ts`,
  startAt: at(start), endAt: end === null ? null : at(end), bytes: 1000, codec: 'h264', ...extra,
});

describe('RecordingRepository (migration 1796947200000)', () => {
  it('the hand-written migration and the record entities agree (no pending change)', async () => {
    const pending = await spec.db.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('putPlan() creates then replaces a plan; getPlan(), listPlans() read every field back; deletePlan() removes it', async () => {
    const plan: RecordPlanRow = {
      channelId: '34020000001320000001', deviceId: '34020000001110000001', mode: 'schedule', enabled: true,
      schedule: [{ day: 1, startMinute: 480, endMinute: 1080 }], onAlarm: false, onCongestion: false, preSeconds: 0, postSeconds: 0, updatedAt: at('08:00:00'),
    };
    expect(await spec.db.recordings.putPlan(plan)).toEqual(plan);
    const events = { ...plan, mode: 'events' as const, schedule: [], onAlarm: true, onCongestion: true, preSeconds: 10, postSeconds: 30, updatedAt: at('09:00:00') };
    expect(await spec.db.recordings.putPlan(events)).toEqual(events);
    expect(await spec.db.recordings.listPlans()).toEqual([events]);
    expect(await spec.db.recordings.deletePlan(plan.channelId)).toBe(true);
    expect(await spec.db.recordings.getPlan(plan.channelId)).toBeUndefined();
  });

  it('listSegments() returns the overlapping ones oldest first (an unfinished one reaches any end); finish, oldest, totals and delete', async () => {
    const r = spec.db.recordings;
    await r.addSegment(seg('00000000-0000-4000-8000-000000000002', '10:01:00', '10:02:00', { bytes: 5_000_000_000 }));
    await r.addSegment(seg('00000000-0000-4000-8000-000000000001', '10:00:00', '10:01:00'));
    await r.addSegment(seg('00000000-0000-4000-8000-000000000003', '10:05:00', null));
    await r.addSegment(seg('00000000-0000-4000-8000-000000000004', '10:00:00', '10:01:00', { channelId: 'other', path: 'other/x.ts' }));
    const ids = (from: string, to: string) => r.listSegments('34020000001320000001', at(from), at(to)).then((l) => l.map((s) => s.id.slice(-1)));
    expect(await ids('09:00:00', '11:00:00')).toEqual(['1', '2', '3']);
    expect(await ids('10:01:30', '10:04:00')).toEqual(['2']);
    expect(await ids('10:30:00', '10:40:00')).toEqual(['3']);
    expect((await r.getSegment('00000000-0000-4000-8000-000000000002'))?.bytes).toBe(5_000_000_000);
    expect((await r.unfinishedSegments(10)).map((s) => s.id.slice(-1))).toEqual(['3']);
    await r.finishSegment('00000000-0000-4000-8000-000000000003', at('10:06:00'), 2000);
    expect(await r.unfinishedSegments(10)).toEqual([]);
    expect(await ids('10:30:00', '10:40:00')).toEqual([]);
    expect(await r.totalBytes()).toBe(5_000_000_000 + 1000 + 2000 + 1000);
    expect((await r.oldestSegments(2)).map((s) => s.startAt)).toEqual([at('10:00:00'), at('10:00:00')]);
    expect((await r.oldestSegments(10, at('10:01:00'))).length).toBe(2);
    expect(await r.deleteSegments(['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000004'])).toBe(2);
    expect((await r.getSegmentByPath('34020000001320000001/2026-12-03/00000000-0000-4000-8000-000000000002.ts'))?.id).toBe('00000000-0000-4000-8000-000000000002');
  });
});
