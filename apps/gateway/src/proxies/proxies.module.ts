import { Module } from '@nestjs/common';
import { StreamsModule } from '../streams/streams.module';
import { ProxiesController } from './proxies.controller';
import { ProxiesService } from './proxies.service';

@Module({
  imports: [StreamsModule],
  providers: [ProxiesService],
  controllers: [ProxiesController],
})
export class ProxiesModule {}
