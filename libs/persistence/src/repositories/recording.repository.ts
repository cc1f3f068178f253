import { In, IsNull, LessThan, type DataSource, type Repository } from 'typeorm';
import { RecordPlanEntity, type RecordScheduleRange } from '../entities/record-plan.entity';
import { RecordSegmentEntity } from '../entities/record-segment.entity';

/** Most record plans listed (and so, in practice, configured). */
export const MAX_RECORD_PLANS = 10_000;
/** Most segments one listing returns (a day of 60 s segments is 1440; a 31-day range of them fits). */
export const MAX_SEGMENTS_LISTED = 50_000;

export type RecordPlanMode = 'always' | 'schedule' | 'events';

export interface RecordPlanRow {
  channelId: string;
  deviceId: string;
  mode: RecordPlanMode;
  enabled: boolean;
  schedule: RecordScheduleRange[];
  onAlarm: boolean;
  onCongestion: boolean;
  preSeconds: number;
  postSeconds: number;
  updatedAt: Date;
}

export interface RecordSegmentRow {
  id: string;
  channelId: string;
  deviceId: string;
  /** Relative to RECORD_DIR, '/'-separated. */
  path: string;
  startAt: Date;
  endAt: Date | null;
  bytes: number;
  codec: string;
}

/** Record plans and the recorded segments' index (no business rules: the gateway's recording service has them). */
export class RecordingRepository {
  private readonly plans: Repository<RecordPlanEntity>;
  private readonly segments: Repository<RecordSegmentEntity>;

  constructor(dataSource: DataSource) {
    this.plans = dataSource.getRepository(RecordPlanEntity);
    this.segments = dataSource.getRepository(RecordSegmentEntity);
  }

  async listPlans(): Promise<RecordPlanRow[]> {
    return (await this.plans.find({ order: { channelId: 'ASC' }, take: MAX_RECORD_PLANS })).map(planRow);
  }

  async getPlan(channelId: string): Promise<RecordPlanRow | undefined> {
    const e = await this.plans.findOneBy({ channelId });
    return e ? planRow(e) : undefined;
  }

  /** Creates or replaces the channel's plan. */
  async putPlan(p: RecordPlanRow): Promise<RecordPlanRow> {
    await this.plans.upsert(this.plans.create(p), ['channelId']);
    return (await this.getPlan(p.channelId))!;
  }

  async deletePlan(channelId: string): Promise<boolean> {
    return ((await this.plans.delete({ channelId })).affected ?? 0) > 0;
  }

  async addSegment(s: RecordSegmentRow): Promise<void> {
    await this.segments.insert(this.segments.create(s));
  }

  /** Sets the end and size of a segment (finished, or found unfinished after a crash). */
  async finishSegment(id: string, endAt: Date, bytes: number): Promise<void> {
    await this.segments.update({ id }, { endAt, bytes });
  }

  /** Segments of a channel that overlap [from, to), oldest first; unfinished ones count as reaching `to`. */
  async listSegments(channelId: string, from: Date, to: Date): Promise<RecordSegmentRow[]> {
    const rows = await this.segments
      .createQueryBuilder('s')
      .where('s.channel_id = :channelId', { channelId })
      .andWhere('s.start_at < :to', { to })
      .andWhere('(s.end_at IS NULL OR s.end_at > :from)', { from })
      .orderBy('s.start_at', 'ASC')
      .take(MAX_SEGMENTS_LISTED)
      .getMany();
    return rows.map(segmentRow);
  }

  async getSegment(id: string): Promise<RecordSegmentRow | undefined> {
    const e = await this.segments.findOneBy({ id });
    return e ? segmentRow(e) : undefined;
  }

  async getSegmentByPath(path: string): Promise<RecordSegmentRow | undefined> {
    const e = await this.segments.findOneBy({ path });
    return e ? segmentRow(e) : undefined;
  }

  /** Segments without an end (being written, or left by a crash), at most `limit`. */
  async unfinishedSegments(limit: number): Promise<RecordSegmentRow[]> {
    return (await this.segments.find({ where: { endAt: IsNull() }, order: { startAt: 'ASC' }, take: limit })).map(segmentRow);
  }

  /** The oldest segments of every channel, at most `limit` (retention and quota sweep). */
  async oldestSegments(limit: number, before?: Date): Promise<RecordSegmentRow[]> {
    return (await this.segments.find({ where: before ? { startAt: LessThan(before) } : {}, order: { startAt: 'ASC' }, take: limit })).map(segmentRow);
  }

  /** Bytes of every indexed segment together. */
  async totalBytes(): Promise<number> {
    const r = (await this.segments.createQueryBuilder('s').select('COALESCE(SUM(s.bytes), 0)', 'sum').getRawOne()) as { sum: string | number } | undefined;
    return Number(r?.sum ?? 0);
  }

  async deleteSegments(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return (await this.segments.delete({ id: In([...ids]) })).affected ?? 0;
  }
}

function planRow(e: RecordPlanEntity): RecordPlanRow {
  return {
    channelId: e.channelId, deviceId: e.deviceId, mode: e.mode as RecordPlanMode, enabled: e.enabled, schedule: e.schedule ?? [],
    onAlarm: e.onAlarm, onCongestion: e.onCongestion, preSeconds: e.preSeconds, postSeconds: e.postSeconds, updatedAt: e.updatedAt,
  };
}

function segmentRow(e: RecordSegmentEntity): RecordSegmentRow {
  return { id: e.id, channelId: e.channelId, deviceId: e.deviceId, path: e.path, startAt: e.startAt, endAt: e.endAt, bytes: Number(e.bytes), codec: e.codec };
}
