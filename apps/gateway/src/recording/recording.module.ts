import { Module } from '@nestjs/common';
import { StreamsModule } from '../streams/streams.module';
import { RecordingController } from './recording.controller';
import { RecordingMediaController } from './recording-media.controller';
import { RecordingPlaybackService } from './recording-playback.service';
import { RecordingService } from './recording.service';

/**
 * Recording on the platform (issue 12 item 2): record plans, recorders holding live streams, the segment index,
 * retention and quota, VOD playback and MP4 export. Needs from @Global modules: GATEWAY_CONFIG, DATABASE, EventBus, DevicesService.
 */
@Module({
  imports: [StreamsModule],
  providers: [RecordingService, RecordingPlaybackService],
  controllers: [RecordingController, RecordingMediaController],
  exports: [RecordingService],
})
export class RecordingModule {}
