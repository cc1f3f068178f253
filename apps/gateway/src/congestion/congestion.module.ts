import { Logger, Module } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { StreamsModule } from '../streams/streams.module';
import { CongestionController } from './congestion.controller';
import { CongestionService, VISION_LINK } from './congestion.service';
import { EmbeddedVisionLink } from './embedded-vision.link';
import { NatsVisionLink } from './nats-vision.link';
import type { VisionLink } from './vision-link';

/** Chooses the worker link from the config: NATS when NATS_URL is set, else the embedded worker, else none. */
export function createVisionLink(cfg: GatewayConfig): VisionLink | null {
  const log = new Logger('vision');
  if (cfg.NATS_URL) {
    return new NatsVisionLink({ url: cfg.NATS_URL, prefix: cfg.VISION_NATS_PREFIX, node: cfg.NODE_ID, heartbeatMs: cfg.VISION_HEARTBEAT_MS, missedHeartbeats: cfg.VISION_HEARTBEAT_MISSED, log: (l) => log.warn(l) });
  }
  if (!cfg.VISION_EMBEDDED) return null;
  return new EmbeddedVisionLink({
    env: {
      DATA_DIR: cfg.DATA_DIR,
      VISION_MODEL: cfg.VISION_MODEL ?? '',
      VISION_HEARTBEAT_MS: String(cfg.VISION_HEARTBEAT_MS),
      VISION_RETRY_MS: String(cfg.VISION_RETRY_MS),
      // The gateway's METRICS_PORT is not the child's: an embedded worker serves no metrics listener of its own.
      METRICS_ENABLED: 'false',
      ...(cfg.FFMPEG_PATH ? { FFMPEG_PATH: cfg.FFMPEG_PATH } : {}),
    },
    restartMs: cfg.VISION_RETRY_MS,
    log: (l) => log.log(l),
  });
}

/**
 * Live congestion scoring: watch/unwatch, ROIs, scores, history, alerts.
 * Needs from a @Global module: GATEWAY_CONFIG, DATABASE, EventBus.
 */
@Module({
  imports: [StreamsModule],
  controllers: [CongestionController],
  providers: [CongestionService, { provide: VISION_LINK, inject: [GATEWAY_CONFIG], useFactory: createVisionLink }],
  exports: [CongestionService],
})
export class CongestionModule {}
