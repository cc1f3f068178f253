import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { loadConfig, type GatewayConfig } from './config/config.schema';
import { AppModule } from './app.module';
import { configureHttpApp } from './api/configure-http-app';
import { AuthService } from './auth/auth.service';
import { SipService } from './sip/sip.service';
import { MetricsService } from './metrics/metrics.service';
import { WEB_PREFIX_EXCLUDE } from './web/web.module';
import { createGatewayLogger, PinoNestLogger, type GatewayLoggerOptions, type LogFormat } from './logging';

export interface RunningGateway {
  app: INestApplication;
  config: GatewayConfig;
  httpUrl: string;
  sipPort: number;
  /** Port of the metrics listener (METRICS_HOST); undefined when METRICS_ENABLED is false. */
  metricsPort?: number;
  /** Set only on the first start without ADMIN_PASSWORD. */
  generatedPassword?: string;
  /** How log lines are written (LOG_FORMAT resolved against stdout). */
  logFormat: LogFormat;
  close(): Promise<void>;
}

/** Builds and starts the gateway (HTTP + SIP). Used by main.ts and by the end-to-end tests. */
export async function startGateway(env: Record<string, string | undefined> = process.env, logOptions: GatewayLoggerOptions = {}): Promise<RunningGateway> {
  const config = loadConfig(env);
  const logger = createGatewayLogger(config, logOptions);
  // Every `new Logger('x')` in the app writes through this pino instance (Nest's Logger delegates to the app logger).
  const app = await NestFactory.create(AppModule.forRoot(config), { logger: new PinoNestLogger(logger.pino), bodyParser: false });
  app.enableShutdownHooks();
  // Media routes live outside /api: players get them with a signed token, not the API token.
  configureHttpApp(app, { prefixExclude: ['live/*path', 'flv/*path', 'play/*path', 'vendor/*path', 'whep/*path', 'webrtc/*path', 'rec/*path', ...WEB_PREFIX_EXCLUDE] });
  const { generatedPassword } = await app.get(AuthService).init();
  await app.listen(config.HTTP_PORT, config.HTTP_HOST);
  const addr = app.getHttpServer().address() as AddressInfo;
  const host = config.HTTP_HOST === '0.0.0.0' || config.HTTP_HOST === '::' ? '127.0.0.1' : config.HTTP_HOST;
  let closed = false;
  return {
    app,
    config,
    httpUrl: `http://${host}:${addr.port}`,
    sipPort: app.get(SipService).port,
    metricsPort: app.get(MetricsService).port,
    generatedPassword,
    logFormat: logger.format,
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
}
