import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One gateway node of a cluster sharing this database: where it is reached and its last heartbeat.
 * A node whose heartbeat is older than the configured bound is dead; the others adopt its devices.
 */
@Entity({ name: 'nodes' })
export class NodeEntity {
  @PrimaryColumn({ name: 'node_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_nodes' })
  nodeId!: string;

  /** Base URL browsers and other nodes use (PUBLIC_URL), null when unset. */
  @Column({ name: 'public_url', type: 'varchar', length: 256, nullable: true })
  publicUrl!: string | null;

  /** host:port devices register to. */
  @Column({ name: 'sip_address', type: 'varchar', length: 128, nullable: true })
  sipAddress!: string | null;

  @Column({ name: 'media_ip', type: 'varchar', length: 64, nullable: true })
  mediaIp!: string | null;

  @Column({ name: 'started_at', type: 'timestamp with time zone' })
  startedAt!: Date;

  @Column({ name: 'heartbeat_at', type: 'timestamp with time zone' })
  heartbeatAt!: Date;

  /** Devices it owns that are online. */
  @Column({ name: 'devices', type: 'int', default: 0 })
  devices!: number;

  @Column({ name: 'streams', type: 'int', default: 0 })
  streams!: number;

  /** Process CPU use over the last heartbeat period, in cores (1.0 = one core busy). */
  @Column({ name: 'cpu', type: 'double precision', default: 0 })
  cpu!: number;
}
