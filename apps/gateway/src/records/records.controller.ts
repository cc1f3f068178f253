import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import { deviceIdSchema } from '../api/devices.dto';
import { RecordsService } from './records.service';
import { channelIdSchema, recordsQuerySchema } from './records.dto';
import type { RecordListDto } from './record-list.mapper';

/** Thin HTTP adapter for the RecordInfo search. */
@ApiTags('records')
@ApiBearerAuth()
@Controller()
export class RecordsController {
  constructor(private readonly records: RecordsService) {}

  @Get('devices/:deviceId/channels/:channelId/records')
  @ApiOperation({ summary: "List a channel's recordings between start and end (RecordInfo, GB/T 28181 §9.7); complete: false when packets were missing" })
  @ApiQuery({ name: 'start', description: 'unix seconds or ISO 8601' })
  @ApiQuery({ name: 'end', description: 'unix seconds or ISO 8601, after start, at most 31 days later' })
  list(
    @Param('deviceId', new ZodValidationPipe(deviceIdSchema, 'deviceId')) deviceId: string,
    @Param('channelId', new ZodValidationPipe(channelIdSchema, 'channelId')) channelId: string,
    @Query(new ZodValidationPipe(recordsQuerySchema, 'query')) q: z.output<typeof recordsQuerySchema>,
  ): Promise<RecordListDto> {
    return this.records.list(deviceId, channelId, q.start, q.end);
  }
}
