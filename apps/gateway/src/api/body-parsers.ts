import { BadRequestException, HttpException, PayloadTooLargeException } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { BODY_ERROR_DESCRIPTIONS } from './body-errors';

/** Largest JSON (or form) request body accepted. */
export const MAX_JSON_BODY_BYTES = 64 * 1024;

type NextFn = (err?: unknown) => void;
export type RequestHandler = (req: IncomingMessage, res: ServerResponse, next: NextFn) => void;

/** The two body-parser factories express re-exports (the project has no @types/express). */
interface BodyParserFactories {
  json(options: { limit: number; strict: boolean }): RequestHandler;
  urlencoded(options: { limit: number; extended: boolean; parameterLimit: number }): RequestHandler;
}
const { json, urlencoded } = createRequire(__filename)('express') as BodyParserFactories;

/** Converts body-parser's http-errors into HttpExceptions carrying our `code`, so the filter maps them. */
export function toBodyException(err: unknown): unknown {
  const type = bodyErrorType(err);
  if (type === undefined) return err;
  if (!Object.hasOwn(BODY_ERROR_DESCRIPTIONS, type)) return err;
  const known = BODY_ERROR_DESCRIPTIONS[type];
  const detail = type === 'entity.parse.failed' && err instanceof Error ? `: ${err.message.slice(0, 200)}` : '';
  const body = { statusCode: known.status, code: known.code, message: `${known.message}${detail}` };
  if (known.status === 413) return new PayloadTooLargeException(body, { cause: err });
  if (known.status === 400) return new BadRequestException(body, { cause: err });
  return new HttpException(body, known.status, { cause: err });
}

/**
 * body-parser's error type; for a body that fails to decompress (zlib's Z_DATA_ERROR and friends, wrapped by
 * body-parser without a type) our own 'entity.decoding.failed', so a corrupt gzip body is a 400, not a 500.
 */
function bodyErrorType(err: unknown): string | undefined {
  const e = err as { type?: unknown; code?: unknown; status?: unknown } | null;
  if (typeof e?.type === 'string') return e.type;
  if (typeof e?.code === 'string' && /^(Z_|ERR_BROTLI|ERR__?ZSTD)/.test(e.code) && e.status === 400) return 'entity.decoding.failed';
  return undefined;
}

/** Wraps a body parser so its errors become coded HttpExceptions; keeps `name` so Nest sees the parser as applied. */
function wrap(name: string, parser: RequestHandler): RequestHandler {
  const handler: RequestHandler = (req, res, next) => {
    parser(req, res, (err?: unknown) => (err === undefined || err === null ? next() : next(toBodyException(err))));
  };
  Object.defineProperty(handler, 'name', { value: name });
  return handler;
}

/**
 * JSON and urlencoded parsers limited to MAX_JSON_BODY_BYTES. Named `jsonParser` / `urlencodedParser`,
 * the names Nest's Express adapter checks, so its default (100 KiB) parsers are not added when bodyParser is left on.
 */
export function createBodyParsers(limit = MAX_JSON_BODY_BYTES): RequestHandler[] {
  return [
    wrap('jsonParser', json({ limit, strict: true })),
    wrap('urlencodedParser', urlencoded({ limit, extended: false, parameterLimit: 100 })),
  ];
}
