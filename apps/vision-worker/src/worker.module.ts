import { Inject, Injectable, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { WorkerConfig } from './live/worker-config';
import { VisionWorker } from './live/vision-worker';

export const WORKER_CONFIG = Symbol('WORKER_CONFIG');

/** Starts the worker when the context boots and closes it (channels, ffmpeg, model, transport) on shutdown. */
@Injectable()
export class WorkerLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  // Explicit @Inject: the worker also runs under tsx, which emits no decorator metadata.
  constructor(@Inject(VisionWorker) private readonly worker: VisionWorker) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.worker.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker.close();
  }
}

/** The headless worker context: config, the VisionWorker, its lifecycle. No HTTP server. */
@Module({})
export class WorkerModule {
  static forRoot(cfg: WorkerConfig, worker: VisionWorker): DynamicModule {
    return {
      module: WorkerModule,
      providers: [{ provide: WORKER_CONFIG, useValue: cfg }, { provide: VisionWorker, useValue: worker }, WorkerLifecycle],
      exports: [VisionWorker],
    };
  }
}
