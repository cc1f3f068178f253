import { Body, Controller, Delete, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { createReadStream } from 'node:fs';
import type { z } from 'zod';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import { deviceIdSchema } from '../api/devices.dto';
import { DownloadsService } from './downloads.service';
import { channelIdSchema, downloadBodySchema, downloadIdSchema } from './records.dto';
import type { DownloadDto } from './download-job';

const idPipe = new ZodValidationPipe(downloadIdSchema, 'id');

/** Thin HTTP adapter for recorded-video downloads (s=Download to MP4). */
@ApiTags('records')
@ApiBearerAuth()
@Controller()
export class DownloadsController {
  constructor(private readonly downloads: DownloadsService) {}

  @Post('devices/:deviceId/channels/:channelId/downloads')
  @HttpCode(202)
  @ApiOperation({ summary: 'Download recorded video from start to end (s=Download, speed 1|2|4|8) to an MP4; progress on GET and as download.progress events' })
  start(
    @Param('deviceId', new ZodValidationPipe(deviceIdSchema, 'deviceId')) deviceId: string,
    @Param('channelId', new ZodValidationPipe(channelIdSchema, 'channelId')) channelId: string,
    @Body(new ZodValidationPipe(downloadBodySchema, 'body')) body: z.output<typeof downloadBodySchema>,
  ): DownloadDto {
    return this.downloads.start(deviceId, channelId, body);
  }

  @Get('downloads')
  @ApiOperation({ summary: 'All downloads: state, progress, bytes, error' })
  list(): DownloadDto[] {
    return this.downloads.list();
  }

  @Get('downloads/:id')
  @ApiOperation({ summary: 'One download: state starting|downloading|done|failed, progress 0..1, bytes, error' })
  get(@Param('id', idPipe) id: string): DownloadDto {
    return this.downloads.get(id);
  }

  @Get('downloads/:id/file')
  @ApiProduces('video/mp4')
  @ApiOperation({ summary: 'The MP4 of a finished download (409 before it is done)' })
  file(@Param('id', idPipe) id: string, @Res() res: Response): void {
    const f = this.downloads.file(id);
    res.status(200);
    res.setHeader('content-type', 'video/mp4');
    res.setHeader('content-length', String(f.size));
    res.setHeader('content-disposition', `attachment; filename="${f.filename}"`);
    createReadStream(f.path).on('error', () => res.destroy()).pipe(res);
  }

  @Delete('downloads/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Cancel a download (BYE) or forget a finished one; its file is deleted' })
  async cancel(@Param('id', idPipe) id: string): Promise<void> {
    await this.downloads.cancel(id);
  }
}
