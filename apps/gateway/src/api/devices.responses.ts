import { ApiProperty } from '@nestjs/swagger';
import { CHANNEL_KINDS, type ChannelKind } from '@gb/contracts';
import type { ChannelDto, DeviceCharset, DeviceDto, SipTransport, StreamTransport } from '@gb/contracts';
import type { DeviceStatusResult } from '../devices/device-directory';
import { DEVICE_CHARSETS, DEVICE_ID_OPENAPI, STREAM_TRANSPORTS } from './devices.dto';

/*
 * OpenAPI descriptions of the shapes in @gb/contracts. Each class `implements` its contract,
 * so the compiler flags a field that drifts; they are documentation only, never instantiated.
 */

export class DeviceResponse implements DeviceDto {
  @ApiProperty({ type: String, example: '34020000001320000001', pattern: DEVICE_ID_OPENAPI.pattern }) deviceId!: string;
  @ApiProperty({ type: String, nullable: true }) name!: string | null;
  @ApiProperty({ type: Boolean }) online!: boolean;
  @ApiProperty({ enum: ['udp', 'tcp'] }) transport!: SipTransport;
  @ApiProperty({ type: String, nullable: true, example: '192.168.1.64:5060' }) remoteAddress!: string | null;
  @ApiProperty({ type: String, nullable: true }) manufacturer!: string | null;
  @ApiProperty({ type: String, nullable: true }) model!: string | null;
  @ApiProperty({ type: String, nullable: true }) firmware!: string | null;
  @ApiProperty({ type: Number }) channelCount!: number;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) registeredAt!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) lastKeepaliveAt!: string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Registration expiry in seconds' }) expires!: number | null;
  @ApiProperty({ enum: DEVICE_CHARSETS }) charset!: DeviceCharset;
  @ApiProperty({ enum: STREAM_TRANSPORTS }) streamTransport!: StreamTransport;
  @ApiProperty({ type: Boolean, description: 'Whether a per-device SIP password is set (the password itself is never returned)' })
  hasPassword!: boolean;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) catalogSyncedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'NODE_ID of the gateway node that owns the device' }) node!: string | null;
  @ApiProperty({ enum: ['stream-proxies'], required: false, description: "only on the gateway's own device of stream proxies (managed under /api/proxies)" }) virtual?: 'stream-proxies';
}

export class ChannelResponse implements ChannelDto {
  @ApiProperty({ type: String, pattern: DEVICE_ID_OPENAPI.pattern }) channelId!: string;
  @ApiProperty({ type: String, pattern: DEVICE_ID_OPENAPI.pattern }) deviceId!: string;
  @ApiProperty({ type: String, nullable: true }) name!: string | null;
  @ApiProperty({ type: String, example: 'ON' }) status!: string;
  @ApiProperty({ type: String, nullable: true, description: 'ParentID as sent (an ID, or a path a/b/c whose last segment is the parent)' }) parentId!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'BusinessGroupID as sent (virtual organisations)' }) businessGroupId!: string | null;
  @ApiProperty({ enum: CHANNEL_KINDS, description: 'channel, or the kind of directory node (not playable, not counted)' }) kind!: ChannelKind;
  @ApiProperty({ type: Boolean, description: "kind is not 'channel'" }) isDirectory!: boolean;
  @ApiProperty({ type: String, nullable: true }) civilCode!: string | null;
  @ApiProperty({ type: String, nullable: true }) manufacturer!: string | null;
  @ApiProperty({ type: String, nullable: true }) model!: string | null;
  @ApiProperty({ type: String, nullable: true }) address!: string | null;
  @ApiProperty({ type: String, nullable: true }) ipAddress!: string | null;
  @ApiProperty({ type: Number, nullable: true }) longitude!: number | null;
  @ApiProperty({ type: Number, nullable: true }) latitude!: number | null;
  @ApiProperty({ type: Number, nullable: true }) ptzType!: number | null;
}

export class DeviceStatusResponse implements DeviceStatusResult {
  @ApiProperty({ type: String, pattern: DEVICE_ID_OPENAPI.pattern }) deviceId!: string;
  @ApiProperty({ type: Boolean }) online!: boolean;
  @ApiProperty({ type: String, nullable: true, example: 'ON' }) status!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'OK' }) result!: string | null;
  @ApiProperty({ type: String, nullable: true }) encode!: string | null;
  @ApiProperty({ type: String, nullable: true }) record!: string | null;
  @ApiProperty({ type: String, nullable: true }) deviceTime!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The DeviceStatus response fields as received' })
  raw!: Record<string, unknown>;
}

export class CatalogSyncResponse {
  @ApiProperty({ type: Number, description: 'SN of the Catalog query; progress arrives as catalog.* events carrying it' }) sn!: number;
}
