import { Module } from '@nestjs/common';
import { StreamsModule } from '../streams/streams.module';
import { WebRtcService } from './webrtc.service';
import { WhepController } from './whep.controller';

/** WebRTC playback (WHEP) of running streams: docs/decisions/webrtc.md. */
@Module({
  imports: [StreamsModule],
  providers: [WebRtcService],
  controllers: [WhepController],
  exports: [WebRtcService],
})
export class WebRtcModule {}
