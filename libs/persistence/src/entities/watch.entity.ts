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
}
