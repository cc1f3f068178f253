import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { DeviceEntity } from './device.entity';

/**
 * Per-device choice of the gateway's event subscriptions (GB/T 28181 §9.11: Catalog, Alarm, MobilePosition). A null
 * column follows the config (CATALOG_SUBSCRIBE, ALARM_SUBSCRIBE, MOBILE_POSITION_SUBSCRIBE, MOBILE_POSITION_INTERVAL_S);
 * a device without a row follows it entirely.
 */
@Entity({ name: 'device_subscription_settings' })
export class DeviceSubscriptionSettingsEntity {
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 32, primaryKeyConstraintName: 'pk_device_subscription_settings' })
  deviceId!: string;

  @OneToOne(() => DeviceEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'device_id', referencedColumnName: 'deviceId', foreignKeyConstraintName: 'fk_device_subscription_settings_device' })
  device?: DeviceEntity;

  @Column({ name: 'catalog', type: 'boolean', nullable: true })
  catalog!: boolean | null;

  @Column({ name: 'alarm', type: 'boolean', nullable: true })
  alarm!: boolean | null;

  @Column({ name: 'mobile_position', type: 'boolean', nullable: true })
  mobilePosition!: boolean | null;

  @Column({ name: 'position_interval_s', type: 'integer', nullable: true })
  positionIntervalS!: number | null;

  @Column({ name: 'updated_at', type: 'timestamp with time zone' })
  updatedAt!: Date;
}
