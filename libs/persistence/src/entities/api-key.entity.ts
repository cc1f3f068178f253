import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A key for integrations: only the SHA-256 of the key is stored; the key itself is shown once, at creation. */
@Entity({ name: 'api_keys' })
@Index('uq_api_keys_key_hash', ['keyHash'], { unique: true })
@Check('chk_api_keys_role', `"role" IN ('admin', 'operator', 'viewer')`)
export class ApiKeyEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'pk_api_keys' })
  id!: string;

  @Column({ name: 'name', type: 'varchar', length: 64 })
  name!: string;

  @Column({ name: 'role', type: 'varchar', length: 16 })
  role!: string;

  /** SHA-256 of the whole key, hex. */
  @Column({ name: 'key_hash', type: 'char', length: 64 })
  keyHash!: string;

  /** The key's first characters (e.g. `gbk_AbCd`), to tell keys apart in lists. */
  @Column({ name: 'key_prefix', type: 'varchar', length: 16 })
  keyPrefix!: string;

  @Column({ name: 'created_by', type: 'varchar', length: 128 })
  createdBy!: string;

  @Column({ name: 'created_at', type: 'timestamp with time zone' })
  createdAt!: Date;
}
