import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { z } from 'zod';
import { Public } from '../auth/public.decorator';
import { channelIdSchema } from '../api/devices.dto';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import { exportQuerySchema, playlistQuerySchema, segmentFileSchema } from './recording.dto';
import { RecordingPlaybackService } from './recording-playback.service';

const channelIdPipe = new ZodValidationPipe(channelIdSchema, 'channelId');

/** Streams an export to the response as an attachment, then removes it. */
export async function sendExport(res: Response, e: { path: string; cleanup: () => Promise<void>; filename: string }): Promise<void> {
  try {
    const size = (await stat(e.path)).size;
    res.setHeader('content-type', 'video/mp4');
    res.setHeader('content-length', String(size));
    res.setHeader('content-disposition', `attachment; filename="${e.filename}"`);
    await new Promise<void>((resolve) => {
      const s = createReadStream(e.path);
      s.on('error', () => (res.destroy(), resolve()));
      res.on('close', () => (s.destroy(), resolve()));
      s.pipe(res);
    });
  } finally {
    await e.cleanup();
  }
}

/** Recorded media for players (outside /api): VOD playlist, TS segments, MP4; authorised by the signed token. */
@ApiExcludeController()
@Public()
@Controller()
export class RecordingMediaController {
  constructor(private readonly playback: RecordingPlaybackService) {}

  @Get('rec/:channelId/index.m3u8')
  async playlist(
    @Param('channelId', channelIdPipe) channelId: string,
    @Query(new ZodValidationPipe(playlistQuerySchema, 'query')) q: z.output<typeof playlistQuerySchema>,
    @Res() res: Response,
  ): Promise<void> {
    this.playback.check(channelId, q.token);
    const body = await this.playback.playlist(channelId, q.start, q.end, q.token!);
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('content-type', 'application/vnd.apple.mpegurl');
    res.send(body);
  }

  @Get('rec/:channelId/download.mp4')
  async download(
    @Param('channelId', channelIdPipe) channelId: string,
    @Query(new ZodValidationPipe(exportQuerySchema, 'query')) q: z.output<typeof exportQuerySchema>,
    @Res() res: Response,
  ): Promise<void> {
    this.playback.check(channelId, q.token);
    await sendExport(res, await this.playback.export(channelId, q.start, q.end));
  }

  @Get('rec/:channelId/:file')
  async segment(
    @Param('channelId', channelIdPipe) channelId: string,
    @Param('file', new ZodValidationPipe(segmentFileSchema, 'file')) file: string,
    @Query('token') token: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    this.playback.check(channelId, token);
    const path = await this.playback.segmentFile(channelId, file.slice(0, -3));
    const size = (await stat(path)).size;
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('content-type', 'video/mp2t');
    res.setHeader('content-length', String(size));
    createReadStream(path).on('error', () => res.destroy()).pipe(res);
  }
}
