import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One mobile position a device reported for a channel (GB/T 28181-2016 §9.10 Notify/MobilePosition), kept until
 * POSITION_RETENTION_DAYS have passed. `time` is the device's Time read as the gateway's local time (the received
 * time when the device's is unreadable); listings and retention go by it.
 */
@Entity({ name: 'channel_positions' })
@Index('idx_channel_positions_channel_time', ['channelId', 'time'])
@Index('idx_channel_positions_time', ['time'])
export class ChannelPositionEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'pk_channel_positions' })
  id!: string;

  @Column({ name: 'channel_id', type: 'varchar', length: 64 })
  channelId!: string;

  @Column({ name: 'device_id', type: 'varchar', length: 32 })
  deviceId!: string;

  @Column({ name: 'time', type: 'timestamp with time zone' })
  time!: Date;

  @Column({ name: 'longitude', type: 'double precision' })
  longitude!: number;

  @Column({ name: 'latitude', type: 'double precision' })
  latitude!: number;

  /** km/h. */
  @Column({ name: 'speed', type: 'double precision', nullable: true })
  speed!: number | null;

  /** Degrees clockwise from north. */
  @Column({ name: 'direction', type: 'double precision', nullable: true })
  direction!: number | null;

  /** Metres. */
  @Column({ name: 'altitude', type: 'double precision', nullable: true })
  altitude!: number | null;

  @Column({ name: 'received_at', type: 'timestamp with time zone' })
  receivedAt!: Date;
}
