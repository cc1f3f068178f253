import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A channel under congestion watch. Kept so that a gateway restart resumes scoring the channels an
 * operator chose, without anyone watching them again.
 */
@Entity({ name: 'watches' })
export class WatchEntity {
  @PrimaryColumn({ name: 'channel_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_watches' })
  channelId!: string;

  @Column({ name: 'device_id', type: 'varchar', length: 32 })
  deviceId!: string;

  @Column({ name: 'since', type: 'timestamp with time zone' })
  since!: Date;

  /** The node scoring the channel (the owner of its device), null while nobody holds it. */
  @Column({ name: 'node_id', type: 'varchar', length: 64, nullable: true })
  nodeId!: string | null;

  /** The holder renews this every heartbeat; past it any owner of the device may take the channel over. */
  @Column({ name: 'lease_until', type: 'timestamp with time zone', nullable: true })
  leaseUntil!: Date | null;
}
