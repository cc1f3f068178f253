import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One control action through the API: who, what, on which target, when, and how it ended. */
@Entity({ name: 'audit_log' })
@Index('idx_audit_log_at', ['at'])
export class AuditEntryEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'pk_audit_log' })
  id!: string;

  @Column({ name: 'at', type: 'timestamp with time zone' })
  at!: Date;

  /** User name, or `key:<name>` for an API key. */
  @Column({ name: 'actor', type: 'varchar', length: 128 })
  actor!: string;

  @Column({ name: 'role', type: 'varchar', length: 16 })
  role!: string;

  /** e.g. `device.ptz`, `user.create`. */
  @Column({ name: 'action', type: 'varchar', length: 64 })
  action!: string;

  /** e.g. `<deviceId>/<channelId>`, a user name, a key id. */
  @Column({ name: 'target', type: 'varchar', length: 256, nullable: true })
  target!: string | null;

  /** `ok`, or the error code the request ended with (`FORBIDDEN`, `DEVICE_OFFLINE`, …). */
  @Column({ name: 'outcome', type: 'varchar', length: 64 })
  outcome!: string;

  /** A few non-secret request fields (`action=move`, `role=viewer`). */
  @Column({ name: 'detail', type: 'varchar', length: 256, nullable: true })
  detail!: string | null;

  @Column({ name: 'node_id', type: 'varchar', length: 64, nullable: true })
  nodeId!: string | null;
}
