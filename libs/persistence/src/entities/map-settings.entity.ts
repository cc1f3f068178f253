import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Map settings: the plan's two reference points (pixel <-> longitude/latitude) and a local tile server URL template. */
@Entity({ name: 'map_settings' })
export class MapSettingsEntity {
  @PrimaryColumn({ name: 'key', type: 'varchar', length: 32, primaryKeyConstraintName: 'pk_map_settings' })
  key!: string;

  /** `[{px:[x,y], lonlat:[lon,lat]}, {…}]`, null when the plan has no reference points. */
  @Column({ name: 'plan_ref', type: 'jsonb', nullable: true })
  planRef!: unknown;

  @Column({ name: 'tile_url', type: 'varchar', length: 2048, nullable: true })
  tileUrl!: string | null;

  @Column({ name: 'updated_at', type: 'timestamp with time zone' })
  updatedAt!: Date;
}
