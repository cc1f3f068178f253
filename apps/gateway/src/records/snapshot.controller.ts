import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import { deviceIdSchema } from '../api/devices.dto';
import { SnapshotService } from './snapshot.service';
import { channelIdSchema } from './records.dto';

/** Thin HTTP adapter for channel stills. */
@ApiTags('streams')
@ApiBearerAuth()
@Controller()
export class SnapshotController {
  constructor(private readonly snapshots: SnapshotService) {}

  @Get('devices/:deviceId/channels/:channelId/snapshot')
  @ApiProduces('image/jpeg')
  @ApiOperation({ summary: "A JPEG of the live stream's next keyframe (starts or joins the live stream; 504 when no keyframe within 10 s)" })
  async snapshot(
    @Param('deviceId', new ZodValidationPipe(deviceIdSchema, 'deviceId')) deviceId: string,
    @Param('channelId', new ZodValidationPipe(channelIdSchema, 'channelId')) channelId: string,
    @Res() res: Response,
  ): Promise<void> {
    const s = await this.snapshots.take(deviceId, channelId);
    res.status(200);
    res.setHeader('content-type', 'image/jpeg');
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-stream-id', s.streamId);
    res.end(s.jpeg);
  }
}
