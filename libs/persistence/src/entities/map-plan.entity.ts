import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A site plan image (PNG or JPEG) the map page draws channels on. Kept in the database (bytea), not DATA_DIR, so every
 * gateway node sharing the database serves the same plan. `key` names the plan ('default' for now).
 */
@Entity({ name: 'map_plans' })
export class MapPlanEntity {
  @PrimaryColumn({ name: 'key', type: 'varchar', length: 32, primaryKeyConstraintName: 'pk_map_plans' })
  key!: string;

  @Column({ name: 'content_type', type: 'varchar', length: 32 })
  contentType!: string;

  @Column({ name: 'width', type: 'int' })
  width!: number;

  @Column({ name: 'height', type: 'int' })
  height!: number;

  @Column({ name: 'data', type: 'bytea' })
  data!: Buffer;

  @Column({ name: 'updated_at', type: 'timestamp with time zone' })
  updatedAt!: Date;
}
