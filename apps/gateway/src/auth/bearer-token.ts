import type { IncomingMessage } from 'node:http';

/** Token from `Authorization: Bearer <jwt>`, or undefined. */
export function bearerTokenFromHeader(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer[ \t]+([A-Za-z0-9._~+/=-]+)[ \t]*$/i.exec(header);
  return m?.[1];
}

/**
 * For the WebSocket upgrade only (browsers cannot set headers on `new WebSocket()`):
 * the Authorization header, else the `access_token` query parameter.
 */
export function bearerTokenFromUpgrade(req: IncomingMessage): string | undefined {
  const fromHeader = bearerTokenFromHeader(req.headers.authorization);
  if (fromHeader) return fromHeader;
  try {
    const url = new URL(req.url ?? '/', 'http://localhost');
    return url.searchParams.get('access_token') ?? undefined;
  } catch {
    return undefined;
  }
}
