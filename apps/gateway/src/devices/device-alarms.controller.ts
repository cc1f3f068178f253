import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { DeviceAlarmDto } from '@gb/contracts';
import { z } from 'zod';
import { DeviceAlarmsService, MAX_DEVICE_ALARMS_LISTED } from './device-alarms.service';
import { deviceIdSchema } from '../api/devices.dto';
import { ZodValidationPipe } from '../api/zod-validation.pipe';

const alarmsQuerySchema = z
  .object({
    deviceId: deviceIdSchema.optional(),
    limit: z.coerce.number().int().min(1).max(MAX_DEVICE_ALARMS_LISTED).default(100),
  })
  .strict();

@ApiTags('devices')
@ApiBearerAuth()
@Controller('device-alarms')
export class DeviceAlarmsController {
  constructor(private readonly alarms: DeviceAlarmsService) {}

  @Get()
  @ApiOperation({ summary: 'Alarms devices reported (GB/T 28181 §9.4: motion, video loss, faults…), newest first; kept in memory, also pushed as device.alarm events' })
  list(@Query(new ZodValidationPipe(alarmsQuerySchema, 'query')) q: z.output<typeof alarmsQuerySchema>): DeviceAlarmDto[] {
    return this.alarms.list(q);
  }
}
