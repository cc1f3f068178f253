import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * An alarm a device reported (GB/T 28181-2016 §9.4 Notify/Alarm), kept until ALARM_RETENTION_DAYS have passed.
 * Texts are as the device sent them (the gateway bounds their sizes before they get here); `time` is the device's
 * local AlarmTime as sent, `receivedAt` the gateway's clock (listing order, filters and retention go by it).
 * State: open (neither acknowledged nor cleared), acknowledged, cleared.
 */
@Entity({ name: 'device_alarms' })
@Index('idx_device_alarms_received', ['receivedAt', 'id'])
@Index('idx_device_alarms_device_received', ['deviceId', 'receivedAt'])
@Index('idx_device_alarms_channel_received', ['channelId', 'receivedAt'])
export class DeviceAlarmEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'pk_device_alarms' })
  id!: string;

  @Column({ name: 'device_id', type: 'varchar', length: 32 })
  deviceId!: string;

  @Column({ name: 'channel_id', type: 'varchar', length: 64 })
  channelId!: string;

  @Column({ name: 'priority', type: 'varchar', length: 16, nullable: true })
  priority!: string | null;

  @Column({ name: 'method', type: 'varchar', length: 16, nullable: true })
  method!: string | null;

  @Column({ name: 'type', type: 'varchar', length: 16, nullable: true })
  type!: string | null;

  @Column({ name: 'time', type: 'varchar', length: 32, nullable: true })
  time!: string | null;

  @Column({ name: 'description', type: 'varchar', length: 256, nullable: true })
  description!: string | null;

  @Column({ name: 'longitude', type: 'double precision', nullable: true })
  longitude!: number | null;

  @Column({ name: 'latitude', type: 'double precision', nullable: true })
  latitude!: number | null;

  @Column({ name: 'received_at', type: 'timestamp with time zone' })
  receivedAt!: Date;

  @Column({ name: 'acked_at', type: 'timestamp with time zone', nullable: true })
  ackedAt!: Date | null;

  @Column({ name: 'acked_by', type: 'varchar', length: 64, nullable: true })
  ackedBy!: string | null;

  @Column({ name: 'cleared_at', type: 'timestamp with time zone', nullable: true })
  clearedAt!: Date | null;

  @Column({ name: 'cleared_by', type: 'varchar', length: 64, nullable: true })
  clearedBy!: string | null;
}
