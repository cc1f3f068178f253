import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import { STREAM_ID_RE, channelIdSchema, deviceIdSchema } from '../api/devices.dto';
import { openApiSchemaOf } from '../api/openapi-schema';
import { StreamsService } from './streams.service';
import { H264RenditionsService } from './h264-renditions.service';
import { playBodySchema as playSchema } from './play.dto';
import { playbackBodySchema } from './playback.dto';
import type { StreamDto } from './stream.types';
import { withWsFlvOrigin } from './ws-flv-url';

const streamIdSchema = z.string().regex(STREAM_ID_RE, 'must be <deviceId>_<channelId>[_<id>]');
const controlSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('pause') }).strict(),
  z.object({ action: z.literal('resume') }).strict(),
  z.object({ action: z.literal('seek'), position: z.number().min(0).describe('seconds from the start of the recording') }).strict(),
  // 8 is beyond the 2016 list (Annex B) but GB/T 28181-2022 devices and the timeline's fastest speed use it.
  z.object({ action: z.literal('speed'), scale: z.union([z.literal(0.25), z.literal(0.5), z.literal(1), z.literal(2), z.literal(4), z.literal(8), z.literal(-1), z.literal(-2), z.literal(-4)]) }).strict(),
]);

@ApiTags('streams')
@ApiBearerAuth()
@Controller()
export class StreamsController {
  constructor(
    private readonly streams: StreamsService,
    private readonly renditions: H264RenditionsService,
  ) {}

  @Post('devices/:deviceId/channels/:channelId/play')
  @HttpCode(200)
  @ApiOperation({ summary: 'Start (or join) the live stream of a channel; returns signed HLS / FLV / player URLs. Body {codec: "h264"}: an H.265 stream answers with its H.264 rendition (one shared transcode, `rendition` set; TRANSCODE_LIMIT past TRANSCODE_MAX)' })
  play(
    @Param('deviceId', new ZodValidationPipe(deviceIdSchema, 'deviceId')) deviceId: string,
    @Param('channelId', new ZodValidationPipe(channelIdSchema, 'channelId')) channelId: string,
    @Body(new ZodValidationPipe(playSchema, 'body')) body: z.output<typeof playSchema>,
    @Req() req: Request,
  ): Promise<StreamDto> {
    const dto = body.codec === 'h264' ? this.renditions.play(deviceId, channelId, 'h264', body.transport, body.stream) : this.streams.play(deviceId, channelId, body.transport, body.stream);
    return dto.then((d) => withWsFlvOrigin(d, req));
  }

  @Post('devices/:deviceId/channels/:channelId/playback')
  @HttpCode(200)
  @ApiOperation({ summary: 'Play recorded video (s=Playback) from start to end (unix seconds or ISO 8601, end after start, at most 24 h later); returns signed URLs' })
  @ApiBody({ schema: openApiSchemaOf(playbackBodySchema) })
  playback(
    @Param('deviceId', new ZodValidationPipe(deviceIdSchema, 'deviceId')) deviceId: string,
    @Param('channelId', new ZodValidationPipe(channelIdSchema, 'channelId')) channelId: string,
    @Body(new ZodValidationPipe(playbackBodySchema, 'body')) body: z.output<typeof playbackBodySchema>,
    @Req() req: Request,
  ): Promise<StreamDto> {
    return this.streams.playback(deviceId, channelId, body.start, body.end, body.transport).then((d) => withWsFlvOrigin(d, req));
  }

  @Post('streams/:streamId/control')
  @HttpCode(200)
  @ApiOperation({ summary: 'Playback control: pause, resume, seek {position}, speed {scale} (MANSRTSP over INFO)' })
  control(
    @Param('streamId', new ZodValidationPipe(streamIdSchema, 'streamId')) streamId: string,
    @Body(new ZodValidationPipe(controlSchema, 'body')) body: z.output<typeof controlSchema>,
  ): Promise<{ status: number; body: string }> {
    return this.streams.control(streamId, body);
  }

  @Get('streams')
  @ApiOperation({ summary: 'Running streams: state, viewers, codec, resolution, bitrate, packets lost, since; H.264 renditions of H.265 streams (with `rendition`) after their source' })
  list(@Req() req: Request): StreamDto[] {
    return [...this.streams.list(), ...this.renditions.list()].map((d) => withWsFlvOrigin(d, req));
  }

  @Delete('streams/:streamId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Stop a stream (BYE, ffmpeg stopped, port freed)' })
  async stop(@Param('streamId', new ZodValidationPipe(streamIdSchema, 'streamId')) streamId: string): Promise<void> {
    if (await this.renditions.stopById(streamId)) return;
    await this.streams.stop(streamId);
  }
}
