import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import { platformIdSchema } from './platforms.dto';
import { PlatformsService } from './platforms.service';
import { UpwardMediaService } from './upward-media.service';
import type { UpwardSessionDto } from './upward-session';

const idPipe = new ZodValidationPipe(platformIdSchema, 'id');

/** The media legs this node sends to a superior platform (docs/cascade.md, "Media to the superior"). */
@ApiTags('cascade')
@ApiBearerAuth()
@Controller('platforms')
export class UpwardSessionsController {
  constructor(
    @Inject(PlatformsService) private readonly platforms: PlatformsService,
    @Inject(UpwardMediaService) private readonly upward: UpwardMediaService,
  ) {}

  @Get(':id/sessions')
  @ApiOperation({
    summary: 'Streams this node sends to the superior platform: its INVITEs (Play / Playback / Download), transport, our stream, packets and bytes sent, frames dropped for a slow TCP receiver; ended ones for a minute with why. 404 NOT_FOUND',
  })
  async list(@Param('id', idPipe) id: string): Promise<UpwardSessionDto[]> {
    await this.platforms.get(id);
    return this.upward.list(id);
  }
}
