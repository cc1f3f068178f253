import type { IncomingMessage, ServerResponse } from 'node:http';

type NextFn = (err?: unknown) => void;

/**
 * Headers every response carries (API JSON, OpenAPI pages, the player page, dashboard assets, media):
 * no MIME sniffing, no framing by other sites, no Referer leaking signed media URLs. A route that sets its own
 * Content-Security-Policy (the dashboard's index.html) replaces the default one, which only forbids framing.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

export function securityHeaders(_req: IncomingMessage, res: ServerResponse, next: NextFn): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  next();
}
