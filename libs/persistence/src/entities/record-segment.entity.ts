import { Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';

const bigintNumber = { to: (v: number) => v, from: (v: string | number | null) => (v === null ? 0 : Number(v)) };

/**
 * One recorded MPEG-TS segment under RECORD_DIR (`path` relative to it). `end_at` is null while the segment is being
 * written (or when the gateway died while writing it; the next start probes the file and fills it in).
 */
@Entity({ name: 'record_segments' })
@Unique('uq_record_segments_path', ['path'])
@Index('idx_record_segments_channel_start', ['channelId', 'startAt'])
@Index('idx_record_segments_start', ['startAt'])
export class RecordSegmentEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'pk_record_segments' })
  id!: string;

  @Column({ name: 'channel_id', type: 'varchar', length: 64 })
  channelId!: string;

  @Column({ name: 'device_id', type: 'varchar', length: 32 })
  deviceId!: string;

  @Column({ name: 'path', type: 'varchar', length: 512 })
  path!: string;

  @Column({ name: 'start_at', type: 'timestamp with time zone' })
  startAt!: Date;

  @Column({ name: 'end_at', type: 'timestamp with time zone', nullable: true })
  endAt!: Date | null;

  @Column({ name: 'bytes', type: 'bigint', default: 0, transformer: bigintNumber })
  bytes!: number;

  @Column({ name: 'codec', type: 'varchar', length: 16 })
  codec!: string;
}
