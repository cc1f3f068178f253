import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import { deviceIdSchema } from '../api/devices.dto';
import { StreamsService } from './streams.service';
import type { StreamDto } from './stream.types';

const playSchema = z
  .object({ transport: z.enum(['udp', 'tcp-passive', 'tcp-active']).optional() })
  .strict()
  .optional()
  .default({});
const channelIdSchema = z.string().regex(/^\d{20}$/, 'must be a 20-digit GB/T 28181 channel ID');
const streamIdSchema = z.string().regex(/^\d{20}_\d{20}$/, 'must be <deviceId>_<channelId>');

@ApiTags('streams')
@ApiBearerAuth()
@Controller()
export class StreamsController {
  constructor(private readonly streams: StreamsService) {}

  @Post('devices/:deviceId/channels/:channelId/play')
  @HttpCode(200)
  @ApiOperation({ summary: 'Start (or join) the live stream of a channel; returns signed HLS / FLV / player URLs' })
  play(
    @Param('deviceId', new ZodValidationPipe(deviceIdSchema, 'deviceId')) deviceId: string,
    @Param('channelId', new ZodValidationPipe(channelIdSchema, 'channelId')) channelId: string,
    @Body(new ZodValidationPipe(playSchema, 'body')) body: z.output<typeof playSchema>,
  ): Promise<StreamDto> {
    return this.streams.play(deviceId, channelId, body.transport);
  }

  @Get('streams')
  @ApiOperation({ summary: 'Running streams: state, viewers, codec, resolution, bitrate, packets lost, since' })
  list(): StreamDto[] {
    return this.streams.list();
  }

  @Delete('streams/:streamId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Stop a stream (BYE, ffmpeg stopped, port freed)' })
  async stop(@Param('streamId', new ZodValidationPipe(streamIdSchema, 'streamId')) streamId: string): Promise<void> {
    await this.streams.stop(streamId);
  }
}
