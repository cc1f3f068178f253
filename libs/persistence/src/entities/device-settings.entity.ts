import { Check, Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { DeviceEntity } from './device.entity';

export type DeviceCharset = 'auto' | 'GB2312' | 'GBK' | 'GB18030' | 'UTF-8';
export type StreamTransport = 'udp' | 'tcp-passive' | 'tcp-active';

export const DEVICE_CHARSETS: readonly DeviceCharset[] = ['auto', 'GB2312', 'GBK', 'GB18030', 'UTF-8'];
export const STREAM_TRANSPORTS: readonly StreamTransport[] = ['udp', 'tcp-passive', 'tcp-active'];

/** Operator choices for one device; a device without a row uses the defaults below. */
@Entity({ name: 'device_settings' })
@Check('chk_device_settings_charset', `"charset" IN ('auto', 'GB2312', 'GBK', 'GB18030', 'UTF-8')`)
@Check('chk_device_settings_stream_transport', `"stream_transport" IN ('udp', 'tcp-passive', 'tcp-active')`)
export class DeviceSettingsEntity {
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 32, primaryKeyConstraintName: 'pk_device_settings' })
  deviceId!: string;

  @OneToOne(() => DeviceEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'device_id', referencedColumnName: 'deviceId', foreignKeyConstraintName: 'fk_device_settings_device' })
  device?: DeviceEntity;

  /**
   * Per-device SIP digest password. Stored in plain text on purpose: the registrar must compute
   * HA1 = MD5(username:realm:password) (RFC 2617 §3.2.2.2), so a one-way hash cannot serve.
   * null = the gateway-wide SIP_PASSWORD applies.
   */
  @Column({ name: 'password', type: 'varchar', nullable: true })
  password!: string | null;

  /** Charset of the device's MANSCDP bodies; 'auto' lets the gateway decide per message. */
  @Column({ name: 'charset', type: 'varchar', length: 16, default: 'auto' })
  charset!: DeviceCharset;

  /** How the device sends RTP: UDP, or RTP over TCP (RFC 4571) with the gateway listening or dialling. */
  @Column({ name: 'stream_transport', type: 'varchar', length: 16, default: 'tcp-passive' })
  streamTransport!: StreamTransport;
}

export const DEFAULT_DEVICE_SETTINGS: Readonly<Omit<DeviceSettingsEntity, 'deviceId' | 'device'>> = Object.freeze({
  password: null,
  charset: 'auto',
  streamTransport: 'tcp-passive',
});
