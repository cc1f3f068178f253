import { Module } from '@nestjs/common';
import { CascadeService } from './cascade.service';
import { PlatformsController } from './platforms.controller';
import { PlatformsService } from './platforms.service';

/** Cascade to superior platforms (issue 11): the /api/platforms API and the upward registrations. Needs the core module. */
@Module({
  controllers: [PlatformsController],
  providers: [CascadeService, PlatformsService],
})
export class CascadeModule {}
