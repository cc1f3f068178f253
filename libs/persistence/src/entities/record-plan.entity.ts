import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/** One weekly range of a `schedule` plan: day of week 0 (Sunday)..6, minutes of that day [start, end). */
export interface RecordScheduleRange {
  day: number;
  startMinute: number;
  endMinute: number;
}

/**
 * A channel's record plan (issue 12 item 2): record always, on a weekly schedule, or around events (a device alarm,
 * a congestion alert) with seconds before and after. One plan per channel; the gateway's recording service runs it.
 */
@Entity({ name: 'record_plans' })
@Check('chk_record_plans_mode', `"mode" IN ('always', 'schedule', 'events')`)
export class RecordPlanEntity {
  @PrimaryColumn({ name: 'channel_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_record_plans' })
  channelId!: string;

  @Column({ name: 'device_id', type: 'varchar', length: 32 })
  deviceId!: string;

  @Column({ name: 'mode', type: 'varchar', length: 16 })
  mode!: string;

  @Column({ name: 'enabled', type: 'boolean', default: true })
  enabled!: boolean;

  @Column({ name: 'schedule', type: 'jsonb', default: () => `'[]'` })
  schedule!: RecordScheduleRange[];

  @Column({ name: 'on_alarm', type: 'boolean', default: false })
  onAlarm!: boolean;

  @Column({ name: 'on_congestion', type: 'boolean', default: false })
  onCongestion!: boolean;

  @Column({ name: 'pre_seconds', type: 'integer', default: 0 })
  preSeconds!: number;

  @Column({ name: 'post_seconds', type: 'integer', default: 0 })
  postSeconds!: number;

  @Column({ name: 'updated_at', type: 'timestamp with time zone' })
  updatedAt!: Date;
}
