import { Module } from '@nestjs/common';
import { StreamsService } from './streams.service';
import { MediaTokens } from './media-tokens';
import { StreamsController } from './streams.controller';
import { MediaHttpController } from './media-http.controller';
import { PtzController } from './ptz.controller';
import { PortRangeCheck } from '../media/port-range.check';
import { H264RenditionsService } from './h264-renditions.service';
import { FlvWebSocketServer } from './flv-ws.server';

@Module({
  providers: [StreamsService, MediaTokens, PortRangeCheck, H264RenditionsService, FlvWebSocketServer],
  controllers: [StreamsController, MediaHttpController, PtzController],
  exports: [StreamsService, FlvWebSocketServer, MediaTokens, H264RenditionsService],
})
export class StreamsModule {}
