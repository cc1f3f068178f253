import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/** A dashboard/API account: a scrypt password hash (never the password) and one role. */
@Entity({ name: 'users' })
@Check('chk_users_role', `"role" IN ('admin', 'operator', 'viewer')`)
export class UserEntity {
  @PrimaryColumn({ name: 'username', type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_users' })
  username!: string;

  /** `scrypt$N$r$p$salt$key` (apps/gateway/src/auth/password-hash.ts). */
  @Column({ name: 'password_hash', type: 'varchar', length: 256 })
  passwordHash!: string;

  @Column({ name: 'role', type: 'varchar', length: 16 })
  role!: string;

  @Column({ name: 'created_at', type: 'timestamp with time zone' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamp with time zone' })
  updatedAt!: Date;
}
