import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One region of interest of a channel for congestion scoring: a polygon in normalised 0–1 frame
 * coordinates and an optional calibration. A channel's ROIs are replaced as a whole.
 */
@Entity({ name: 'rois' })
@Index('idx_rois_device', ['deviceId'])
export class RoiEntity {
  @PrimaryColumn({ name: 'channel_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_rois' })
  channelId!: string;

  @PrimaryColumn({ name: 'roi_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_rois' })
  roiId!: string;

  @Column({ name: 'device_id', type: 'varchar', length: 32 })
  deviceId!: string;

  /** Order in which the operator listed the ROIs. */
  @Column({ name: 'position', type: 'integer', default: 0 })
  position!: number;

  /** [[x, y], …] normalised. */
  @Column({ name: 'polygon', type: 'jsonb' })
  polygon!: [number, number][];

  @Column({ name: 'calibration', type: 'jsonb', nullable: true })
  calibration!: Record<string, number> | null;
}
