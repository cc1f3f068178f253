import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type DeviceTransport = 'udp' | 'tcp';

/**
 * A GB/T 28181 device (NVR, IPC, lower-level platform) as last seen by the registrar.
 * Column types are always given explicitly: test runners do not emit decorator metadata.
 */
@Entity({ name: 'devices' })
@Check('chk_devices_transport', `"transport" IN ('udp', 'tcp')`)
export class DeviceEntity {
  /** 20-digit GB/T 28181 ID (§ Annex D); 32 leaves room for non-conforming devices. */
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 32, primaryKeyConstraintName: 'pk_devices' })
  deviceId!: string;

  @Column({ name: 'name', type: 'varchar', nullable: true })
  name!: string | null;

  /** SIP transport the device registered over. */
  @Column({ name: 'transport', type: 'varchar', length: 8 })
  transport!: DeviceTransport;

  /** Source address of the device's last REGISTER/keepalive (where requests are sent). */
  @Column({ name: 'remote_host', type: 'varchar', length: 64 })
  remoteHost!: string;

  @Column({ name: 'remote_port', type: 'int' })
  remotePort!: number;

  /** The gateway address the device reached (the local socket), used for replies and Via/Contact. */
  @Column({ name: 'local_host', type: 'varchar', length: 64 })
  localHost!: string;

  @Column({ name: 'local_port', type: 'int' })
  localPort!: number;

  @Column({ name: 'contact_uri', type: 'varchar', nullable: true })
  contactUri!: string | null;

  /** Registration lifetime the registrar granted, seconds (RFC 3261 §10.2.1.1). */
  @Column({ name: 'expires', type: 'int', default: 3600 })
  expires!: number;

  @Column({ name: 'registered_at', type: 'timestamptz', nullable: true })
  registeredAt!: Date | null;

  @Column({ name: 'registration_expires_at', type: 'timestamptz', nullable: true })
  registrationExpiresAt!: Date | null;

  @Column({ name: 'last_keepalive_at', type: 'timestamptz', nullable: true })
  lastKeepaliveAt!: Date | null;

  @Column({ name: 'online', type: 'boolean', default: false })
  online!: boolean;

  @Column({ name: 'manufacturer', type: 'varchar', nullable: true })
  manufacturer!: string | null;

  @Column({ name: 'model', type: 'varchar', nullable: true })
  model!: string | null;

  @Column({ name: 'firmware', type: 'varchar', nullable: true })
  firmware!: string | null;

  @Column({ name: 'channel_count', type: 'int', default: 0 })
  channelCount!: number;

  @Column({ name: 'catalog_synced_at', type: 'timestamptz', nullable: true })
  catalogSyncedAt!: Date | null;

  /** The gateway node that owns the device (it registered there last); null before the first cluster-aware write. */
  @Index('idx_devices_owner_node')
  @Column({ name: 'owner_node', type: 'varchar', length: 64, nullable: true })
  ownerNode!: string | null;

  /** Until when the owner's claim holds without another keepalive (its liveness deadline), written with the keepalives. */
  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true })
  leaseUntil!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
