import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Downsampled congestion score of one channel and ROI: the gateway keeps one row per channel/ROI per
 * sampling period (the mean of the scores in it), so a day at a 5 s period is 17,280 rows per ROI.
 */
@Entity({ name: 'congestion_samples' })
@Index('idx_congestion_samples_t', ['t'])
export class CongestionSampleEntity {
  @PrimaryColumn({ name: 'channel_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_congestion_samples' })
  channelId!: string;

  @PrimaryColumn({ name: 'roi_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_congestion_samples' })
  roiId!: string;

  /** Start of the sampling period. */
  @PrimaryColumn({ name: 't', type: 'timestamp with time zone', primaryKeyConstraintName: 'pk_congestion_samples' })
  t!: Date;

  /** Mean index 0–100 over the period. */
  @Column({ name: 'index', type: 'double precision' })
  index!: number;

  @Column({ name: 'max_index', type: 'double precision' })
  maxIndex!: number;

  @Column({ name: 'level', type: 'varchar', length: 16 })
  level!: string;

  @Column({ name: 'vehicles', type: 'double precision' })
  vehicles!: number;

  @Column({ name: 'persons', type: 'double precision' })
  persons!: number;

  /** Scores averaged into this row. */
  @Column({ name: 'samples', type: 'integer' })
  samples!: number;
}
