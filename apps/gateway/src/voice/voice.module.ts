import { Module } from '@nestjs/common';
import { StreamsModule } from '../streams/streams.module';
import { VoiceController } from './voice.controller';
import { VoiceService } from './voice.service';
import { VoiceWebSocketServer } from './voice-ws.server';

/** Voice broadcast and talk (GB/T 28181-2016 §9.12): the API, the page's WebSocket, the SIP side. */
@Module({
  imports: [StreamsModule],
  providers: [VoiceService, VoiceWebSocketServer],
  controllers: [VoiceController],
  exports: [VoiceService, VoiceWebSocketServer],
})
export class VoiceModule {}
