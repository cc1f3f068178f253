import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createVisionWorker, loadWorkerConfig } from './live/worker-config';
import { WorkerModule } from './worker.module';
import { MetricsHttpServer } from '@gb/runtime';
import { workerMetrics } from './metrics/worker-metrics';

/**
 * The vision worker process. Embedded: forked by the gateway, talks over IPC, exits when the gateway goes.
 * Distributed: NATS_URL set, joins the `vision-workers` queue group. Logs are one JSON line each on stderr.
 * Prometheus metrics on http://METRICS_HOST:METRICS_PORT/metrics unless METRICS_ENABLED=false.
 */
async function main(): Promise<void> {
  const cfg = loadWorkerConfig();
  const log = (msg: string): void => {
    process.stderr.write(JSON.stringify({ time: new Date().toISOString(), worker: cfg.workerId, msg }) + '\n');
  };
  let stopping = false;
  let metrics: MetricsHttpServer | undefined;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    void Promise.allSettled([app.close(), metrics?.close()]).finally(() => process.exit(code));
  };
  const worker = createVisionWorker(cfg, { onParentGone: () => stop(0), log });
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(cfg, worker), { logger: false });
  await app.init();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => stop(0));
  if (cfg.metricsEnabled) metrics = await startMetrics(cfg.metricsHost, cfg.metricsPort, log);
  log(`vision worker ${cfg.workerId} up (${cfg.natsUrl ? `NATS ${cfg.natsUrl}, prefix ${cfg.natsPrefix}` : 'embedded, IPC'})`);
}

/**
 * The metrics listener. A port already taken does not stop the worker (scoring matters more than its figures, and an
 * embedded worker inherits the gateway's environment): it logs why and runs without metrics.
 */
async function startMetrics(host: string, port: number, log: (msg: string) => void): Promise<MetricsHttpServer | undefined> {
  const listener = new MetricsHttpServer(workerMetrics, (e) => log(`collecting metrics failed: ${(e as Error)?.message ?? e}`));
  try {
    const bound = await listener.listen(port, host);
    log(`metrics at http://${host}:${bound}/metrics`);
    return listener;
  } catch (e) {
    log(`metrics listener on ${host}:${port} failed, running without metrics (METRICS_HOST/METRICS_PORT; METRICS_ENABLED=false turns it off): ${(e as Error).message}`);
    await listener.close();
    return undefined;
  }
}

// One bad frame or a decoder hiccup must not take the worker down; log and carry on.
process.on('unhandledRejection', (e) => process.stderr.write(`unhandled rejection: ${(e as Error)?.stack ?? e}\n`));

main().catch((e) => {
  process.stderr.write(`vision worker failed to start: ${(e as Error)?.stack ?? e}\n`);
  process.exit(1);
});
