import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../common/gateway-error';
import { PLAN_CONTENT_TYPES, type PlanContentType } from './plan-image';

/** The media type of a request (no parameters, lower case), or ''. */
export function mediaTypeOf(req: IncomingMessage): string {
  return String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The plan's declared type; MAP_PLAN_UNSUPPORTED_TYPE for anything but image/png and image/jpeg. */
export function planContentTypeOf(req: IncomingMessage): PlanContentType {
  const type = mediaTypeOf(req);
  if (!(PLAN_CONTENT_TYPES as readonly string[]).includes(type)) {
    throw new GatewayError('MAP_PLAN_UNSUPPORTED_TYPE', `Content-Type must be image/png or image/jpeg, not ${type.slice(0, 100) || 'none'}`);
  }
  return type as PlanContentType;
}

/**
 * The raw body of one request, at most `maxBytes` (the route's own parser: the global JSON parser leaves image bodies
 * unread). A Content-Length over the bound is refused before reading; a chunked body is cut off when it crosses it.
 * Errors: MAP_PLAN_TOO_LARGE; VALIDATION_FAILED for a body with a Content-Encoding (not decoded here).
 */
export function readBoundedBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new GatewayError('MAP_PLAN_TOO_LARGE', `plan image is larger than ${maxBytes} bytes`, { maxBytes });
  const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity') return Promise.reject(new GatewayError('VALIDATION_FAILED', `Content-Encoding ${encoding.slice(0, 40)} is not accepted for a plan image`));
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume(); // drain, so the 413 can be read by the client
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: unknown, value?: Buffer) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      if (err) {
        req.resume();
        reject(err);
      } else resolve(value!);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) finish(tooLarge());
      else chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish(null, Buffer.concat(chunks, size)));
    req.once('error', (e) => finish(new GatewayError('VALIDATION_FAILED', 'request body was aborted', undefined, { cause: e })));
  });
}
