import { Module } from '@nestjs/common';
import { StreamsModule } from '../streams/streams.module';
import { MetricsService } from './metrics.service';

/** Prometheus /metrics on its own listener (METRICS_HOST, METRICS_PORT). */
@Module({
  imports: [StreamsModule],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
