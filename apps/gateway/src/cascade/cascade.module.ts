import { Module } from '@nestjs/common';
import { StreamsModule } from '../streams/streams.module';
import { CascadeService } from './cascade.service';
import { PlatformsController } from './platforms.controller';
import { PlatformsService } from './platforms.service';
import { RecordsModule } from '../records/records.module';
import { CatalogSubscriptionsService } from './catalog-subscriptions.service';
import { SharedChannelsService } from './shared-channels.service';
import { SuperiorControlService } from './superior-control.service';
import { SuperiorRequestsService } from './superior-requests.service';
import { SuperiorSender } from './superior-sender';
import { UpwardMediaService } from './upward-media.service';
import { UpwardSessionsController } from './upward-sessions.controller';

/** Cascade to superior platforms (issue 11): the /api/platforms API and the upward registrations. Needs the core module. */
@Module({
  imports: [StreamsModule, RecordsModule],
  controllers: [PlatformsController, UpwardSessionsController],
  providers: [CascadeService, PlatformsService, UpwardMediaService, SharedChannelsService, SuperiorSender, SuperiorRequestsService, SuperiorControlService, CatalogSubscriptionsService],
})
export class CascadeModule {}
