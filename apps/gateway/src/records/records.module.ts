import { Module } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { resolveFfmpeg } from '@gb/runtime';
import { StreamsModule } from '../streams/streams.module';
import { StreamsService } from '../streams/streams.service';
import { RecordsService } from './records.service';
import { DownloadsService, DOWNLOAD_STREAMS, type DownloadStreams } from './downloads.service';
import { SnapshotService, SNAPSHOT_STREAMS, type SnapshotStreams } from './snapshot.service';
import { FfmpegJpegFrameEncoder, JPEG_FRAME_ENCODER } from './jpeg-frame.encoder';
import { RecordsController } from './records.controller';
import { DownloadsController } from './downloads.controller';
import { SnapshotController } from './snapshot.controller';

/**
 * Recorded video and stills: RecordInfo search, s=Download to MP4 with progress, JPEG snapshots of live streams.
 * Needs from @Global modules: GATEWAY_CONFIG, EventBus, SipService, DevicesService, DeviceQueriesService, DeviceMessagesService.
 */
@Module({
  imports: [StreamsModule],
  providers: [
    RecordsService,
    DownloadsService,
    SnapshotService,
    { provide: DOWNLOAD_STREAMS, useExisting: StreamsService },
    { provide: SNAPSHOT_STREAMS, useExisting: StreamsService },
    {
      provide: JPEG_FRAME_ENCODER,
      useFactory: (cfg: GatewayConfig) => new FfmpegJpegFrameEncoder(resolveFfmpeg({ ...process.env, FFMPEG_PATH: cfg.FFMPEG_PATH })),
      inject: [GATEWAY_CONFIG],
    },
  ],
  controllers: [RecordsController, DownloadsController, SnapshotController],
  exports: [RecordsService, DownloadsService, SnapshotService],
})
export class RecordsModule {}

/** Compile-time proof that StreamsService is what the download and snapshot use-cases expect of it. */
export const STREAMS_SATISFY_PORTS: StreamsService extends DownloadStreams & SnapshotStreams ? true : never = true;
