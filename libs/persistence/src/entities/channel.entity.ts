import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { DeviceEntity } from './device.entity';

/**
 * One catalog item of a device (GB/T 28181-2016 §A.2.4.5 Catalog response `<Item>`): a camera channel,
 * or a tree node (civil code, business group, virtual organisation). The tree is given by `parentId`
 * (and, for civil-code trees, by `civilCode`); a parent may be a node that is itself a row here.
 * Free-text columns are unbounded varchar: a hostile device's long name must not fail a whole catalog;
 * the gateway bounds sizes before it gets here.
 */
@Entity({ name: 'channels' })
@Index('idx_channels_device_parent', ['deviceId', 'parentId'])
@Index('idx_channels_civil_code', ['civilCode'])
export class ChannelEntity {
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 32, primaryKeyConstraintName: 'pk_channels' })
  deviceId!: string;

  @PrimaryColumn({ name: 'channel_id', type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_channels' })
  channelId!: string;

  @ManyToOne(() => DeviceEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'device_id', referencedColumnName: 'deviceId', foreignKeyConstraintName: 'fk_channels_device' })
  device?: DeviceEntity;

  @Column({ name: 'name', type: 'varchar', nullable: true })
  name!: string | null;

  @Column({ name: 'manufacturer', type: 'varchar', nullable: true })
  manufacturer!: string | null;

  @Column({ name: 'model', type: 'varchar', nullable: true })
  model!: string | null;

  @Column({ name: 'owner', type: 'varchar', nullable: true })
  owner!: string | null;

  @Column({ name: 'civil_code', type: 'varchar', nullable: true })
  civilCode!: string | null;

  @Column({ name: 'block', type: 'varchar', nullable: true })
  block!: string | null;

  @Column({ name: 'address', type: 'varchar', nullable: true })
  address!: string | null;

  /** `<Parental>`: 1 when the item has children. */
  @Column({ name: 'parental', type: 'int', nullable: true })
  parental!: number | null;

  @Column({ name: 'parent_id', type: 'varchar', nullable: true })
  parentId!: string | null;

  /** `<BusinessGroupID>`: the business group (type 215) a virtual organisation belongs to. */
  @Column({ name: 'business_group_id', type: 'varchar', nullable: true })
  businessGroupId!: string | null;

  /**
   * What the item is (libs/gb28181 catalogItemKind: channel, region, platform, business-group, virtual-organisation,
   * device), set by the gateway when it stores the item. Only `channel` rows count in devices.channel_count.
   */
  @Column({ name: 'kind', type: 'varchar', length: 24, default: 'channel' })
  kind!: string;

  @Column({ name: 'ip_address', type: 'varchar', nullable: true })
  ipAddress!: string | null;

  @Column({ name: 'port', type: 'int', nullable: true })
  port!: number | null;

  /** `<Status>` as sent: usually ON/OFF, some devices send ONLINE/OFFLINE or 1/0. */
  @Column({ name: 'status', type: 'varchar', nullable: true })
  status!: string | null;

  @Column({ name: 'longitude', type: 'double precision', nullable: true })
  longitude!: number | null;

  @Column({ name: 'latitude', type: 'double precision', nullable: true })
  latitude!: number | null;

  /** `<Info><PTZType>`: 1 dome, 2 half-dome, 3 fixed box, 4 remote-controlled fixed. */
  @Column({ name: 'ptz_type', type: 'int', nullable: true })
  ptzType!: number | null;

  /** The whole parsed `<Item>`, for fields without a column. */
  @Column({ name: 'raw', type: 'jsonb', nullable: true })
  raw!: Record<string, unknown> | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
