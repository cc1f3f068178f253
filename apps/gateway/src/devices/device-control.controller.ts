import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ChannelPresetsDto, DeviceBasicConfigDto, DeviceCommandResultDto } from '@gb/contracts';
import {
  MAX_DEVICE_CONFIG_NAME_CHARS,
  MAX_DEVICE_EXPIRATION_S,
  MAX_DRAG_ZOOM_PIXELS,
  MAX_HEARTBEAT_COUNT,
  MAX_HEARTBEAT_INTERVAL_S,
  MAX_HOME_RESET_S,
  MIN_DEVICE_EXPIRATION_S,
  MIN_HEARTBEAT_COUNT,
  MIN_HEARTBEAT_INTERVAL_S,
  PTZ_MAX_PRESET,
  type DeviceControlCommand,
} from '@gb/gb28181';
import { z } from 'zod';
import { channelIdSchema, deviceIdSchema } from '../api/devices.dto';
import { openApiSchemaOf } from '../api/openapi-schema';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import { DeviceControlService } from './device-control.service';

const px = z.number().int().min(0).max(MAX_DRAG_ZOOM_PIXELS);
const target = { channelId: channelIdSchema.optional().describe('The channel; default the device itself') };

const dragZoom = (command: 'dragZoomIn' | 'dragZoomOut') =>
  z
    .object({
      command: z.literal(command),
      channelId: channelIdSchema,
      length: px.min(1).describe('Width of the picture the rectangle was drawn on, pixels (<Length>)'),
      width: px.min(1).describe('Height of that picture, pixels (<Width>)'),
      midPointX: px.describe('Centre of the rectangle, x'),
      midPointY: px.describe('Centre of the rectangle, y'),
      lengthX: px.min(1).describe('Rectangle width'),
      lengthY: px.min(1).describe('Rectangle height'),
    })
    .strict()
    .refine((r) => r.midPointX <= r.length && r.midPointY <= r.width && r.lengthX <= r.length && r.lengthY <= r.width, { message: 'the rectangle must lie inside the picture' });

/** POST /devices/:d/control: one DeviceControl command (GB/T 28181-2016 §A.2.3.1) per request. */
export const deviceControlSchema = z.union([
  z.object({ command: z.literal('record'), ...target }).strict().describe('RecordCmd Record: the device starts recording'),
  z.object({ command: z.literal('stopRecord'), ...target }).strict().describe('RecordCmd StopRecord'),
  z.object({ command: z.literal('keyframe'), ...target }).strict().describe('IFameCmd Send: a keyframe now'),
  dragZoom('dragZoomIn'),
  dragZoom('dragZoomOut'),
  z
    .object({
      command: z.literal('homePosition'),
      channelId: channelIdSchema,
      enabled: z.boolean().describe('HomePosition Enabled'),
      resetTimeS: z.number().int().min(0).max(MAX_HOME_RESET_S).default(30).describe('Idle seconds before the camera returns home'),
      presetIndex: z.number().int().min(0).max(PTZ_MAX_PRESET).default(1).describe('The home preset'),
    })
    .strict(),
]);

export const rebootSchema = z.object({}).strict();

export const deviceConfigSchema = z
  .object({
    name: z.string().min(1).max(MAX_DEVICE_CONFIG_NAME_CHARS).regex(/^[^\p{Cc}]*$/u, 'no control characters').optional(),
    expirationS: z.number().int().min(MIN_DEVICE_EXPIRATION_S).max(MAX_DEVICE_EXPIRATION_S).optional().describe('Registration expiry, s'),
    heartbeatIntervalS: z.number().int().min(MIN_HEARTBEAT_INTERVAL_S).max(MAX_HEARTBEAT_INTERVAL_S).optional().describe('Keepalive interval, s'),
    heartbeatCount: z.number().int().min(MIN_HEARTBEAT_COUNT).max(MAX_HEARTBEAT_COUNT).optional().describe('Missed keepalives before offline'),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'give at least one of name, expirationS, heartbeatIntervalS, heartbeatCount' });

type ControlBody = z.output<typeof deviceControlSchema>;

function commandOf(b: ControlBody): DeviceControlCommand {
  switch (b.command) {
    case 'record':
    case 'stopRecord':
      return { kind: 'record', record: b.command === 'record' };
    case 'keyframe':
      return { kind: 'keyframe' };
    case 'dragZoomIn':
    case 'dragZoomOut':
      return { kind: 'dragZoom', direction: b.command === 'dragZoomIn' ? 'in' : 'out', length: b.length, width: b.width, midPointX: b.midPointX, midPointY: b.midPointY, lengthX: b.lengthX, lengthY: b.lengthY };
    case 'homePosition':
      return { kind: 'homePosition', enabled: b.enabled, resetTimeS: b.resetTimeS, presetIndex: b.presetIndex };
  }
}

const deviceIdPipe = new ZodValidationPipe(deviceIdSchema, 'deviceId');
const ERRORS = 'DEVICE_CONTROL_FAILED (the device answered ERROR: not supported), DEVICE_CONTROL_NO_RESULT (no answer), DEVICE_REFUSED, DEVICE_TIMEOUT, DEVICE_OFFLINE';

/** DeviceControl, PresetQuery and BasicParam configuration of a device (see DeviceControlService; docs/decisions/device-control.md). */
@ApiTags('devices')
@ApiBearerAuth()
@Controller()
export class DeviceControlController {
  constructor(private readonly control: DeviceControlService) {}

  @Post('devices/:deviceId/control')
  @HttpCode(200)
  @ApiOperation({ summary: `One DeviceControl command: {command:"record"|"stopRecord"|"keyframe", channelId?} | {command:"dragZoomIn"|"dragZoomOut", channelId, length, width, midPointX, midPointY, lengthX, lengthY} | {command:"homePosition", channelId, enabled, resetTimeS, presetIndex}. result OK (the device's Result: record, homePosition) or ACCEPTED (no Result in the standard: keyframe, drag zoom); errors ${ERRORS}` })
  @ApiBody({ schema: openApiSchemaOf(deviceControlSchema) })
  send(@Param('deviceId', deviceIdPipe) deviceId: string, @Body(new ZodValidationPipe(deviceControlSchema)) body: ControlBody): Promise<DeviceCommandResultDto> {
    return this.control.control(deviceId, commandOf(body), body.channelId);
  }

  @Post('devices/:deviceId/reboot')
  @HttpCode(200)
  @ApiOperation({ summary: 'DeviceControl TeleBoot: the device restarts (result ACCEPTED on its 200); it goes offline and registers again' })
  reboot(@Param('deviceId', deviceIdPipe) deviceId: string, @Body(new ZodValidationPipe(rebootSchema)) _body: z.output<typeof rebootSchema>): Promise<DeviceCommandResultDto> {
    return this.control.control(deviceId, { kind: 'teleBoot' });
  }

  @Get('devices/:deviceId/channels/:channelId/presets')
  @ApiOperation({ summary: `PresetQuery: the channel's PTZ presets with their names, asked of the device now; errors ${ERRORS}` })
  presets(@Param('deviceId', deviceIdPipe) deviceId: string, @Param('channelId', new ZodValidationPipe(channelIdSchema, 'channelId')) channelId: string): Promise<ChannelPresetsDto> {
    return this.control.presets(deviceId, channelId);
  }

  @Get('devices/:deviceId/config')
  @ApiOperation({ summary: `ConfigDownload BasicParam: name, expiration, heartbeat interval and count (and the SIP server the device is set for), asked of the device now; errors ${ERRORS}` })
  readConfig(@Param('deviceId', deviceIdPipe) deviceId: string): Promise<DeviceBasicConfigDto> {
    return this.control.readConfig(deviceId);
  }

  @Put('devices/:deviceId/config')
  @ApiOperation({ summary: `DeviceConfig BasicParam: {name?, expirationS?, heartbeatIntervalS?, heartbeatCount?} (at least one); the device's Result OK, then the configuration as it now reports it; errors ${ERRORS}` })
  @ApiBody({ schema: openApiSchemaOf(deviceConfigSchema) })
  async writeConfig(@Param('deviceId', deviceIdPipe) deviceId: string, @Body(new ZodValidationPipe(deviceConfigSchema)) body: z.output<typeof deviceConfigSchema>): Promise<DeviceBasicConfigDto> {
    await this.control.writeConfig(deviceId, body);
    return this.control.readConfig(deviceId);
  }
}
