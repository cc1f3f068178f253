import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { DeviceAlarmDto, DeviceAlarmPageDto, DeviceControlResultDto } from '@gb/contracts';
import { z } from 'zod';
import { apiTimeSchema } from '../api/time-range.schema';
import { channelIdSchema, deviceIdSchema } from '../api/devices.dto';
import { openApiSchemaOf } from '../api/openapi-schema';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import type { AuthenticatedRequest } from '../auth/jwt-auth.guard';
import { AlarmControlService } from './alarm-control.service';
import { DeviceAlarmsService, MAX_DEVICE_ALARMS_LISTED, isAlarmCursor } from './device-alarms.service';

/** A priority / method / type token as devices send them (digits, sometimes letters). */
const alarmToken = z.string().regex(/^[A-Za-z0-9]{1,16}$/, 'letters and digits, at most 16');

export const alarmsQuerySchema = z
  .object({
    deviceId: deviceIdSchema.optional(),
    channelId: channelIdSchema.optional(),
    priority: alarmToken.optional(),
    method: alarmToken.optional(),
    from: apiTimeSchema.optional(),
    to: apiTimeSchema.optional(),
    state: z.enum(['open', 'acknowledged', 'cleared']).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_DEVICE_ALARMS_LISTED).default(100),
    cursor: z.string().max(64).refine(isAlarmCursor, 'must be the nextCursor of a previous page').optional(),
  })
  .strict()
  .refine((q) => q.from === undefined || q.to === undefined || q.to > q.from, { message: 'must be after from', path: ['to'] });

export const alarmResetSchema = z
  .object({
    channelId: channelIdSchema.optional().describe('The channel whose alarm is reset; default the device'),
    alarmMethod: alarmToken.optional().describe('<Info><AlarmMethod>: reset only alarms of this method (1 phone … 7 other)'),
    alarmType: alarmToken.optional().describe('<Info><AlarmType>: reset only alarms of this type within the method'),
  })
  .strict();

export const guardSchema = z
  .object({
    guard: z.boolean().describe('true: SetGuard (arm), false: ResetGuard (disarm)'),
    channelId: channelIdSchema.optional().describe('The channel to arm or disarm; default the device'),
  })
  .strict();

const alarmIdPipe = new ZodValidationPipe(z.string().uuid('must be a device alarm id (UUID)'), 'id');
const deviceIdPipe = new ZodValidationPipe(deviceIdSchema, 'deviceId');

@ApiTags('devices')
@ApiBearerAuth()
@Controller()
export class DeviceAlarmsController {
  constructor(
    private readonly alarms: DeviceAlarmsService,
    private readonly control: AlarmControlService,
  ) {}

  @Get('device-alarms')
  @ApiOperation({ summary: `Stored device alarms (GB/T 28181 §9.4), newest first: {items, nextCursor}; filters deviceId, channelId, priority, method, from/to (received, unix seconds or ISO), state open|acknowledged|cleared; limit 1-${MAX_DEVICE_ALARMS_LISTED} (100); cursor = the previous page's nextCursor. Also pushed as device.alarm events` })
  list(@Query(new ZodValidationPipe(alarmsQuerySchema, 'query')) q: z.output<typeof alarmsQuerySchema>): Promise<DeviceAlarmPageDto> {
    return this.alarms.list(q);
  }

  @Post('device-alarms/:id/acknowledge')
  @HttpCode(200)
  @ApiOperation({ summary: 'Acknowledge a device alarm (once: a second call keeps the first who and when); pushed as device.alarm.updated' })
  acknowledge(@Param('id', alarmIdPipe) id: string, @Req() req: AuthenticatedRequest): Promise<DeviceAlarmDto> {
    return this.alarms.acknowledge(id, req.user?.sub ?? 'unknown');
  }

  @Post('device-alarms/:id/clear')
  @HttpCode(200)
  @ApiOperation({ summary: 'Clear a device alarm (once); pushed as device.alarm.updated. Does not reset the alarm at the device (see alarm-reset)' })
  clear(@Param('id', alarmIdPipe) id: string, @Req() req: AuthenticatedRequest): Promise<DeviceAlarmDto> {
    return this.alarms.clear(id, req.user?.sub ?? 'unknown');
  }

  @Post('devices/:deviceId/alarm-reset')
  @HttpCode(200)
  @ApiOperation({ summary: 'DeviceControl AlarmCmd ResetAlarm to the device or a channel; 200 when the device answers Result OK, else DEVICE_CONTROL_FAILED / DEVICE_CONTROL_NO_RESULT / DEVICE_REFUSED / DEVICE_TIMEOUT / DEVICE_OFFLINE' })
  @ApiBody({ required: false, schema: openApiSchemaOf(alarmResetSchema) })
  alarmReset(@Param('deviceId', deviceIdPipe) deviceId: string, @Body(new ZodValidationPipe(alarmResetSchema)) body: z.output<typeof alarmResetSchema>): Promise<DeviceControlResultDto> {
    return this.control.resetAlarm(deviceId, body);
  }

  @Post('devices/:deviceId/guard')
  @HttpCode(200)
  @ApiOperation({ summary: 'DeviceControl GuardCmd: {guard:true} SetGuard (arm), {guard:false} ResetGuard (disarm); errors as alarm-reset' })
  @ApiBody({ schema: openApiSchemaOf(guardSchema) })
  guard(@Param('deviceId', deviceIdPipe) deviceId: string, @Body(new ZodValidationPipe(guardSchema)) body: z.output<typeof guardSchema>): Promise<DeviceControlResultDto> {
    return this.control.guard(deviceId, body.guard, body.channelId);
  }
}
