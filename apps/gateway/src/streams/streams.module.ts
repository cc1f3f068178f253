import { Module } from '@nestjs/common';
import { StreamsService } from './streams.service';
import { MediaTokens } from './media-tokens';
import { StreamsController } from './streams.controller';
import { MediaHttpController } from './media-http.controller';
import { PtzController } from './ptz.controller';
import { PortRangeCheck } from '../media/port-range.check';

@Module({
  providers: [StreamsService, MediaTokens, PortRangeCheck],
  controllers: [StreamsController, MediaHttpController, PtzController],
  exports: [StreamsService, MediaTokens],
})
export class StreamsModule {}
