import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { z } from 'zod';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import { channelIdSchema } from '../api/devices.dto';
import { openApiSchemaOf } from '../api/openapi-schema';
import { recordPlanBodySchema, type RecordPlanBody } from './record-plan';
import { exportQuerySchema, recordingsQuerySchema } from './recording.dto';
import { RecordingPlaybackService } from './recording-playback.service';
import type { RecordPlanDto, RecordingsDto } from '@gb/contracts';
import { RecordingService } from './recording.service';
import { sendExport } from './recording-media.controller';

const channelIdPipe = new ZodValidationPipe(channelIdSchema, 'channelId');

/** Record plans and the platform's recordings (issue 12 item 2). */
@ApiTags('recording')
@ApiBearerAuth()
@Controller()
export class RecordingController {
  constructor(
    private readonly recording: RecordingService,
    private readonly playback: RecordingPlaybackService,
  ) {}

  @Get('record-plans')
  @ApiOperation({ summary: 'Every record plan with what this node does about it now (recording, waiting, retrying with the cause)' })
  listPlans(): Promise<RecordPlanDto[]> {
    return this.recording.listPlans();
  }

  @Get('channels/:channelId/record-plan')
  @ApiOperation({ summary: "The channel's record plan and its state" })
  getPlan(@Param('channelId', channelIdPipe) channelId: string): Promise<RecordPlanDto> {
    return this.recording.getPlan(channelId);
  }

  @Put('channels/:channelId/record-plan')
  @ApiOperation({ summary: 'Create or replace the record plan: always, a weekly schedule (day 0–6, minutes [start, end)), or events (device alarm, congestion alert) with pre/post seconds' })
  @ApiBody({ schema: openApiSchemaOf(recordPlanBodySchema) })
  putPlan(@Param('channelId', channelIdPipe) channelId: string, @Body(new ZodValidationPipe(recordPlanBodySchema, 'body')) body: RecordPlanBody): Promise<RecordPlanDto> {
    return this.recording.putPlan(channelId, body);
  }

  @Delete('channels/:channelId/record-plan')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete the record plan (recordings already made stay until retention or the quota removes them)' })
  deletePlan(@Param('channelId', channelIdPipe) channelId: string): Promise<void> {
    return this.recording.deletePlan(channelId);
  }

  @Get('channels/:channelId/recordings')
  @ApiOperation({ summary: "The platform's recorded segments of the channel overlapping [from, to) and the ranges they cover, with a VOD playlist and download URL" })
  @ApiQuery({ name: 'from', description: 'unix seconds or ISO 8601' })
  @ApiQuery({ name: 'to', description: 'unix seconds or ISO 8601, after from, at most 31 days later' })
  async list(@Param('channelId', channelIdPipe) channelId: string, @Query(new ZodValidationPipe(recordingsQuerySchema, 'query')) q: z.output<typeof recordingsQuerySchema>): Promise<RecordingsDto> {
    const { segments, ranges } = await this.recording.list(channelId, q.start, q.end);
    const { hls, download } = this.playback.urls(channelId, q.start, q.end);
    return { channelId, from: new Date(q.start * 1000).toISOString(), to: new Date(q.end * 1000).toISOString(), segments, ranges, urls: { hls, download } };
  }

  @Get('channels/:channelId/recordings/download')
  @ApiOperation({ summary: 'The recording of [from, to) (at most 2 h) as one MP4 (video/mp4, attachment)' })
  async download(
    @Param('channelId', channelIdPipe) channelId: string,
    @Query(new ZodValidationPipe(exportQuerySchema, 'query')) q: z.output<typeof exportQuerySchema>,
    @Res() res: Response,
  ): Promise<void> {
    await sendExport(res, await this.playback.export(channelId, q.start, q.end));
  }
}
