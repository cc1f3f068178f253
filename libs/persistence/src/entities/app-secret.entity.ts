import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Generated application secrets (admin password hash, JWT signing secret), kept across restarts. */
@Entity({ name: 'app_secrets' })
export class AppSecretEntity {
  @PrimaryColumn({ name: 'key', type: 'varchar', length: 128, primaryKeyConstraintName: 'pk_app_secrets' })
  key!: string;

  @Column({ name: 'value', type: 'text' })
  value!: string;
}
