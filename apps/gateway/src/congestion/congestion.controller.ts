import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { openApiSchemaOf } from '../api/openapi-schema';
import type { Response } from 'express';
import type { AlertDto, ChannelCongestionDto, ChannelRoisDto, ExclusionZone, Roi } from '@gb/contracts';
import type { AuthenticatedRequest } from '../auth/jwt-auth.guard';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import { CongestionService } from './congestion.service';
import { ackSchema, alertIdSchema, alertsQuerySchema, channelIdSchema, getRoisQuerySchema, historyQuerySchema, putRoisDocSchema, putRoisSchema, watchSchema, type AckDto, type GetRoisQuery, type PutRoisDto, type WatchDto } from './congestion.dto';

const channelIdPipe = new ZodValidationPipe(channelIdSchema, 'channelId');
const alertIdPipe = new ZodValidationPipe(alertIdSchema, 'id');

/** Thin HTTP adapter over CongestionService. */
@ApiTags('congestion')
@ApiBearerAuth()
@Controller()
export class CongestionController {
  constructor(@Inject(CongestionService) private readonly congestion: CongestionService) {}

  @Get('congestion')
  @ApiOperation({ summary: 'Latest congestion score of every watched channel and ROI, with the channel scoring state' })
  latest(): ChannelCongestionDto[] {
    return this.congestion.latest();
  }

  @Get('congestion/:channelId/history')
  @ApiOperation({ summary: 'Stored congestion of a channel from–to (ISO, default the last hour), bucketed by step seconds (default 60)' })
  history(@Param('channelId', channelIdPipe) channelId: string, @Query(new ZodValidationPipe(historyQuerySchema, 'query')) q: { from: Date; to: Date; stepMs: number }) {
    return this.congestion.history(channelId, q.from, q.to, q.stepMs);
  }

  @Get('channels/:channelId/rois')
  @ApiOperation({ summary: 'ROIs of a channel (the eval command\'s ROI file); with `?include=exclusions`, `{rois, exclusions}` with its exclusion zones' })
  async getRois(@Param('channelId', channelIdPipe) channelId: string, @Query(new ZodValidationPipe(getRoisQuerySchema, 'query')) q: GetRoisQuery): Promise<Roi[] | ChannelRoisDto> {
    const rois = await this.congestion.getRois(channelId);
    return q.include === 'exclusions' ? { rois, exclusions: await this.congestion.loadExclusions(channelId) } : rois;
  }

  @Put('channels/:channelId/rois')
  @ApiOperation({
    summary: 'Replace the ROIs of a channel (normalised 0–1 polygons); a watched channel rescores with them at once. Body: `{deviceId?, rois, exclusions?}` '
      + 'or the eval command\'s ROI file (a JSON array of ROIs). `exclusions` replaces the exclusion zones (detections centred inside never count) '
      + 'and the answer is then `{rois, exclusions}`; without it the zones are kept and the answer is the ROI array',
  })
  @ApiBody({ schema: openApiSchemaOf(putRoisDocSchema) })
  async putRois(@Param('channelId', channelIdPipe) channelId: string, @Body(new ZodValidationPipe(putRoisSchema)) body: PutRoisDto): Promise<Roi[] | ChannelRoisDto> {
    const stored = await this.congestion.setRois(channelId, body.rois as Roi[], body.deviceId, body.exclusions as ExclusionZone[] | undefined);
    return body.exclusions ? stored : stored.rois;
  }

  @Post('channels/:channelId/watch')
  @HttpCode(200)
  @ApiOperation({ summary: 'Start congestion scoring of a channel (starts and keeps its live stream)' })
  watch(@Param('channelId', channelIdPipe) channelId: string, @Body(new ZodValidationPipe(watchSchema)) body: WatchDto): Promise<ChannelCongestionDto> {
    return this.congestion.watch(channelId, body.deviceId);
  }

  @Delete('channels/:channelId/watch')
  @HttpCode(204)
  @ApiOperation({ summary: 'Stop congestion scoring of a channel' })
  async unwatch(@Param('channelId', channelIdPipe) channelId: string): Promise<void> {
    await this.congestion.unwatch(channelId);
  }

  @Get('alerts')
  @ApiOperation({ summary: 'Congestion alerts, newest first (filter by state, channelId)' })
  alerts(@Query(new ZodValidationPipe(alertsQuerySchema, 'query')) q: { state?: 'active' | 'cleared'; channelId?: string; limit: number }): Promise<AlertDto[]> {
    return this.congestion.listAlerts(q);
  }

  @Post('alerts/:id/ack')
  @HttpCode(200)
  @ApiOperation({ summary: 'Acknowledge an alert with an optional comment (idempotent: a second ack keeps the first)' })
  @ApiBody({ required: false, schema: openApiSchemaOf(ackSchema) })
  ack(@Param('id', alertIdPipe) id: string, @Req() req: AuthenticatedRequest, @Body(new ZodValidationPipe(ackSchema)) body: AckDto): Promise<AlertDto> {
    return this.congestion.ack(id, req.user?.sub ?? 'unknown', body.comment);
  }

  @Get('alerts/:id/snapshot')
  @ApiOperation({ summary: 'JPEG snapshot of an alert: the frame with boxes and ROIs drawn' })
  async snapshot(@Param('id', alertIdPipe) id: string, @Res() res: Response): Promise<void> {
    const jpeg = await this.congestion.snapshot(id);
    res.setHeader('content-type', 'image/jpeg');
    res.setHeader('cache-control', 'private, max-age=86400');
    res.send(jpeg);
  }
}
