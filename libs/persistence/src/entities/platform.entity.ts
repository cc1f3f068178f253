import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A superior platform this gateway registers with as a lower platform (GB/T 28181-2016 §5.1 cascade, §9.1
 * registration). The operator's settings plus the last registration state the owning node recorded, so that any
 * node can list it. The password is kept in plain text on purpose: answering a digest challenge needs
 * HA1 = MD5(username:realm:password) with the superior's realm (RFC 2617 §3.2.2.2); it is never returned by the API.
 */
@Entity({ name: 'platforms' })
@Check('chk_platforms_transport', `"transport" IN ('udp', 'tcp')`)
@Check('chk_platforms_state', `"state" IN ('registering', 'online', 'failed', 'disabled')`)
export class PlatformEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid', primaryKeyConstraintName: 'pk_platforms' })
  id!: string;

  @Column({ name: 'name', type: 'varchar', length: 64 })
  name!: string;

  /** The superior's 20-digit SIP ID (type 200, Annex D). */
  @Column({ name: 'server_id', type: 'varchar', length: 32 })
  serverId!: string;

  /** The superior's SIP domain (conventionally the first 10 digits of serverId). */
  @Column({ name: 'domain', type: 'varchar', length: 64 })
  domain!: string;

  @Column({ name: 'host', type: 'varchar', length: 253 })
  host!: string;

  @Column({ name: 'port', type: 'integer' })
  port!: number;

  @Column({ name: 'transport', type: 'varchar', length: 8 })
  transport!: string;

  @Column({ name: 'password', type: 'varchar', length: 128 })
  password!: string;

  /** Our ID towards this superior; null = the gateway's SIP_ID. */
  @Column({ name: 'local_id', type: 'varchar', length: 32, nullable: true })
  localId!: string | null;

  @Column({ name: 'expires_s', type: 'integer' })
  expiresS!: number;

  @Column({ name: 'keepalive_s', type: 'integer' })
  keepaliveS!: number;

  @Column({ name: 'charset', type: 'varchar', length: 16 })
  charset!: string;

  @Column({ name: 'share_all', type: 'boolean', default: false })
  shareAll!: boolean;

  /** Shared channel IDs when not shareAll (used from issue 11 item 3 on: catalog answers). */
  @Column({ name: 'channels', type: 'jsonb', default: () => `'[]'` })
  channels!: string[];

  @Column({ name: 'enabled', type: 'boolean', default: true })
  enabled!: boolean;

  /** NODE_ID of the node that runs the registration: the node that created the platform (docs/cascade.md). */
  @Index('idx_platforms_owner_node')
  @Column({ name: 'owner_node', type: 'varchar', length: 64 })
  ownerNode!: string;

  @Column({ name: 'state', type: 'varchar', length: 16, default: 'registering' })
  state!: string;

  /** Why the state is failed (or what the last failure was): a stable code and the superior's answer. */
  @Column({ name: 'cause', type: 'varchar', length: 256, nullable: true })
  cause!: string | null;

  @Column({ name: 'state_at', type: 'timestamp with time zone', nullable: true })
  stateAt!: Date | null;

  @Column({ name: 'last_keepalive_at', type: 'timestamp with time zone', nullable: true })
  lastKeepaliveAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamp with time zone' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamp with time zone' })
  updatedAt!: Date;
}
