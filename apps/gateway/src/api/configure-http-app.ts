import type { INestApplication } from '@nestjs/common';
import type { RouteInfo } from '@nestjs/common/interfaces';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { AuthService } from '../auth/auth.service';
import { bearerTokenFromHeader } from '../auth/bearer-token';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { findAppVersion } from './app-version';
import { createBodyParsers } from './body-parsers';
import { EventStreamServer } from './event-stream.server';
import { securityHeaders } from './security-headers';
import { ClusterForwarder } from '../cluster/cluster-forwarder';
import { FlvWebSocketServer } from '../streams/flv-ws.server';
import { routeUpgrades } from './upgrade-router';
import { VoiceWebSocketServer } from '../voice/voice-ws.server';

function optional<T>(get: () => T): T | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}

export const API_PREFIX = 'api';
export const OPENAPI_UI_PATH = 'api/docs';
export const OPENAPI_JSON_PATH = 'api/docs-json';
export const OPENAPI_YAML_PATH = 'api/docs-yaml';

/** /api/docs, /api/docs/…, /api/docs-json, /api/docs-yaml: the API description and its UI. */
const DOCS_PATH = /^\/api\/docs(?:[/?-]|$)/;

/**
 * API_DOCS=auth: the OpenAPI UI and documents need the API's bearer token like any other route (tools:
 * `curl -H "Authorization: Bearer …" …/api/docs-json`). Answered here, before Swagger's routes, in the API's error shape.
 */
function requireTokenForDocs(auth: AuthService) {
  return (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void => {
    if (!DOCS_PATH.test(req.url ?? '')) return next();
    auth.verify(bearerTokenFromHeader(req.headers.authorization)).then(
      () => next(),
      (err: unknown) => {
        const message = err instanceof Error ? err.message : 'Unauthorized';
        res.statusCode = 401;
        res.setHeader('www-authenticate', 'Bearer');
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.end(JSON.stringify({ statusCode: 401, code: 'UNAUTHORIZED', message }));
      },
    );
  };
}

export interface HttpAppOptions {
  /** Routes served outside /api (e.g. 'play/(.*)', 'live/(.*)'); passed to setGlobalPrefix's `exclude`. */
  prefixExclude?: (string | RouteInfo)[];
  /** Default: the config's API_DOCS. */
  apiDocs?: GatewayConfig['API_DOCS'];
}

/**
 * Everything the HTTP app needs besides its modules; call once, before `app.listen()`:
 * no X-Powered-By and the security headers on every response, global prefix `/api`, 64 KiB body parsers with
 * coded errors, OpenAPI at /api/docs and /api/docs-json as API_DOCS says (off, behind the bearer token, or public),
 * and the WebSocket upgrades on the app's HTTP server, routed by path in one listener (/api/events; /flv/<stream>.flv,
 * WS-FLV, when the streams module is there; 404 otherwise). Works with or without `bodyParser: false`.
 */
export function configureHttpApp(app: INestApplication, options: HttpAppOptions = {}): void {
  applyResponseHeaders(app);
  app.setGlobalPrefix(API_PREFIX, options.prefixExclude?.length ? { exclude: options.prefixExclude } : undefined);
  for (const parser of createBodyParsers()) app.use(parser);
  // Requests about another node's device go to that node (only with NATS; absent in the API's own test modules).
  const forwarder = optional(() => app.get(ClusterForwarder, { strict: false }));
  if (forwarder) {
    const auth = app.get(AuthService);
    app.use(forwarder.middleware((header) => auth.verify(bearerTokenFromHeader(header))));
  }

  setupOpenApi(app, options.apiDocs ?? app.get<GatewayConfig>(GATEWAY_CONFIG, { strict: false }).API_DOCS);
  const server = app.getHttpServer() as Server;
  const events = app.get(EventStreamServer);
  events.attach(server);
  const flv = optional(() => app.get(FlvWebSocketServer, { strict: false }));
  const voice = optional(() => app.get(VoiceWebSocketServer, { strict: false }));
  routeUpgrades(server, [events.upgradeRoute, ...(flv ? [flv.upgradeRoute] : []), ...(voice ? [voice.upgradeRoute] : [])]);
}

/** No X-Powered-By; SECURITY_HEADERS on every response, whichever route (or none) answers it. */
export function applyResponseHeaders(app: INestApplication): void {
  (app.getHttpAdapter().getInstance() as { disable(setting: string): void }).disable('x-powered-by');
  app.use(securityHeaders);
}

function setupOpenApi(app: INestApplication, mode: GatewayConfig['API_DOCS']): void {
  if (mode === 'off') return;
  if (mode === 'auth') app.use(requireTokenForDocs(app.get(AuthService)));
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('GB/T 28181 gateway API')
      .setDescription(
        'Devices registered over GB/T 28181 SIP, their channels and catalog. Every route but health and login needs ' +
          '`Authorization: Bearer <token>` from POST /api/auth/login, or an API key (`gbk_…`, POST /api/api-keys), and a ' +
          'role that may use it (admin, operator, viewer; else 403 FORBIDDEN). Events stream as JSON `{type, at, data}` on the ' +
          'WebSocket /api/events (token as `?access_token=` or the Authorization header).',
      )
      .setVersion(findAppVersion())
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .build(),
  );
  SwaggerModule.setup(OPENAPI_UI_PATH, app, document, { jsonDocumentUrl: OPENAPI_JSON_PATH, yamlDocumentUrl: OPENAPI_YAML_PATH });
}
