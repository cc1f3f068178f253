import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A congestion alert: raised when a ROI stays at or above a level for a hold time, cleared with hysteresis. */
@Entity({ name: 'alerts' })
@Index('idx_alerts_raised_at', ['raisedAt'])
@Index('idx_alerts_channel', ['channelId', 'roiId'])
@Check('chk_alerts_state', `"state" IN ('active', 'cleared')`)
export class AlertEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'pk_alerts' })
  id!: string;

  @Column({ name: 'channel_id', type: 'varchar', length: 64 })
  channelId!: string;

  @Column({ name: 'device_id', type: 'varchar', length: 32 })
  deviceId!: string;

  @Column({ name: 'roi_id', type: 'varchar', length: 64 })
  roiId!: string;

  @Column({ name: 'level', type: 'varchar', length: 16 })
  level!: string;

  @Column({ name: 'peak_index', type: 'double precision' })
  peakIndex!: number;

  @Column({ name: 'state', type: 'varchar', length: 16 })
  state!: 'active' | 'cleared';

  @Column({ name: 'raised_at', type: 'timestamp with time zone' })
  raisedAt!: Date;

  @Column({ name: 'cleared_at', type: 'timestamp with time zone', nullable: true })
  clearedAt!: Date | null;

  @Column({ name: 'acked_at', type: 'timestamp with time zone', nullable: true })
  ackedAt!: Date | null;

  @Column({ name: 'acked_by', type: 'varchar', length: 128, nullable: true })
  ackedBy!: string | null;

  /** The operator's comment when acknowledging (bounded by the API: 500 characters). */
  @Column({ name: 'ack_comment', type: 'varchar', length: 500, nullable: true })
  ackComment!: string | null;

  /** File name of the JPEG snapshot under <DATA_DIR>/alerts, null when none could be taken. */
  @Column({ name: 'snapshot_file', type: 'varchar', length: 128, nullable: true })
  snapshotFile!: string | null;

  /** When the onset warning (congestion.forming) that announced it went out; null when none did. */
  @Column({ name: 'warned_at', type: 'timestamp with time zone', nullable: true })
  warnedAt!: Date | null;

  /** The node that raised it (and keeps its snapshot file); null for alerts from before nodes existed. */
  @Column({ name: 'node_id', type: 'varchar', length: 64, nullable: true })
  nodeId!: string | null;
}
