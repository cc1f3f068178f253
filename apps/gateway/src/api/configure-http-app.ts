import type { INestApplication } from '@nestjs/common';
import type { RouteInfo } from '@nestjs/common/interfaces';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Server } from 'node:http';
import { findAppVersion } from './app-version';
import { createBodyParsers } from './body-parsers';
import { EventStreamServer } from './event-stream.server';

export const API_PREFIX = 'api';
export const OPENAPI_UI_PATH = 'api/docs';
export const OPENAPI_JSON_PATH = 'api/docs-json';

export interface HttpAppOptions {
  /** Routes served outside /api (e.g. 'play/(.*)', 'live/(.*)'); passed to setGlobalPrefix's `exclude`. */
  prefixExclude?: (string | RouteInfo)[];
}

/**
 * Everything the HTTP app needs besides its modules; call once, before `app.listen()`:
 * global prefix `/api`, 64 KiB body parsers with coded errors, OpenAPI at /api/docs and /api/docs-json,
 * and the /api/events WebSocket upgrade on the app's HTTP server. Works with or without `bodyParser: false`.
 */
export function configureHttpApp(app: INestApplication, options: HttpAppOptions = {}): void {
  app.setGlobalPrefix(API_PREFIX, options.prefixExclude?.length ? { exclude: options.prefixExclude } : undefined);
  for (const parser of createBodyParsers()) app.use(parser);

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('GB/T 28181 gateway API')
      .setDescription(
        'Devices registered over GB/T 28181 SIP, their channels and catalog. Every route but health and login needs ' +
          '`Authorization: Bearer <token>` from POST /api/auth/login. Events stream as JSON `{type, at, data}` on the ' +
          'WebSocket /api/events (token as `?access_token=` or the Authorization header).',
      )
      .setVersion(findAppVersion())
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .build(),
  );
  SwaggerModule.setup(OPENAPI_UI_PATH, app, document, { jsonDocumentUrl: OPENAPI_JSON_PATH, yamlDocumentUrl: 'api/docs-yaml' });

  app.get(EventStreamServer).attach(app.getHttpServer() as Server);
}
