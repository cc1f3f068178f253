import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Where an operator placed a channel without catalog coordinates: plan image pixels (origin top-left). */
@Entity({ name: 'map_positions' })
export class MapPositionEntity {
  @PrimaryColumn({ name: 'channel_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_map_positions' })
  channelId!: string;

  @Column({ name: 'x', type: 'double precision' })
  x!: number;

  @Column({ name: 'y', type: 'double precision' })
  y!: number;

  @Column({ name: 'updated_at', type: 'timestamp with time zone' })
  updatedAt!: Date;
}
