import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createVisionWorker, loadWorkerConfig } from './live/worker-config';
import { WorkerModule } from './worker.module';

/**
 * The vision worker process. Embedded: forked by the gateway, talks over IPC, exits when the gateway goes.
 * Distributed: NATS_URL set, joins the `vision-workers` queue group. Logs are one JSON line each on stderr.
 */
async function main(): Promise<void> {
  const cfg = loadWorkerConfig();
  const log = (msg: string): void => {
    process.stderr.write(JSON.stringify({ time: new Date().toISOString(), worker: cfg.workerId, msg }) + '\n');
  };
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    void app.close().finally(() => process.exit(code));
  };
  const worker = createVisionWorker(cfg, { onParentGone: () => stop(0), log });
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(cfg, worker), { logger: false });
  await app.init();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => stop(0));
  log(`vision worker ${cfg.workerId} up (${cfg.natsUrl ? `NATS ${cfg.natsUrl}, prefix ${cfg.natsPrefix}` : 'embedded, IPC'})`);
}

// One bad frame or a decoder hiccup must not take the worker down; log and carry on.
process.on('unhandledRejection', (e) => process.stderr.write(`unhandled rejection: ${(e as Error)?.stack ?? e}\n`));

main().catch((e) => {
  process.stderr.write(`vision worker failed to start: ${(e as Error)?.stack ?? e}\n`);
  process.exit(1);
});
