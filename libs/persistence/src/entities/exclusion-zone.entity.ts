import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One hand-drawn exclusion zone of a channel: detections whose box centre lies inside never count (a billboard, a
 * car park beside the road). Kept per channel beside its ROIs (not on the watch: a zone outlives an unwatch, as a
 * ROI does); a channel's zones are replaced as a whole.
 */
@Entity({ name: 'exclusion_zones' })
export class ExclusionZoneEntity {
  @PrimaryColumn({ name: 'channel_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_exclusion_zones' })
  channelId!: string;

  @PrimaryColumn({ name: 'zone_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_exclusion_zones' })
  zoneId!: string;

  @Column({ name: 'device_id', type: 'varchar', length: 32 })
  deviceId!: string;

  /** Order in which the operator listed the zones. */
  @Column({ name: 'position', type: 'integer', default: 0 })
  position!: number;

  /** [[x, y], …] normalised 0–1. */
  @Column({ name: 'polygon', type: 'jsonb' })
  polygon!: [number, number][];
}
