import { Module } from '@nestjs/common';
import { StreamsService } from './streams.service';
import { MediaTokens } from './media-tokens';
import { StreamsController } from './streams.controller';
import { MediaHttpController } from './media-http.controller';

@Module({
  providers: [StreamsService, MediaTokens],
  controllers: [StreamsController, MediaHttpController],
  exports: [StreamsService],
})
export class StreamsModule {}
