import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ChannelPositionDto } from '@gb/contracts';
import { MAX_POSITIONS_LISTED } from '@gb/persistence';
import { z } from 'zod';
import { apiTimeSchema } from '../api/time-range.schema';
import { channelIdSchema } from '../api/devices.dto';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import { ChannelPositionsService } from './channel-positions.service';

export const positionsQuerySchema = z
  .object({
    from: apiTimeSchema.optional(),
    to: apiTimeSchema.optional(),
    limit: z.coerce.number().int().min(1).max(MAX_POSITIONS_LISTED).default(1000),
  })
  .strict()
  .refine((q) => q.from === undefined || q.to === undefined || q.to > q.from, { message: 'must be after from', path: ['to'] });

@ApiTags('devices')
@ApiBearerAuth()
@Controller()
export class ChannelPositionsController {
  constructor(private readonly positions: ChannelPositionsService) {}

  @Get('channels/:channelId/positions')
  @ApiOperation({ summary: `Mobile positions of a channel (GB/T 28181 §9.10) with from <= time < to (unix seconds or ISO), oldest first; the latest limit (1-${MAX_POSITIONS_LISTED}, 1000) when more match. Also pushed as position.updated events` })
  list(@Param('channelId', new ZodValidationPipe(channelIdSchema, 'channelId')) channelId: string, @Query(new ZodValidationPipe(positionsQuerySchema, 'query')) q: z.output<typeof positionsQuerySchema>): Promise<ChannelPositionDto[]> {
    return this.positions.list(channelId, q);
  }
}
