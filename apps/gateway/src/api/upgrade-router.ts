import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

/** A WebSocket endpoint on the HTTP server: which paths it serves, and what it does with an upgrade request for one. */
export interface UpgradeRoute {
  matches(pathname: string): boolean;
  /** Owns the socket from here on: completes the handshake or rejects it (rejectUpgrade). */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/**
 * The one `upgrade` listener of the HTTP server (the edge): each upgrade request goes to the first route whose path it
 * is (/api/events, /flv/<stream>.flv); any other path is answered 404 at once rather than left hanging. Returns the
 * function that removes the listener.
 */
export function routeUpgrades(server: Server, routes: readonly UpgradeRoute[]): () => void {
  const listener = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    let pathname = '';
    try {
      pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      // an unparsable target matches no route
    }
    const route = routes.find((r) => r.matches(pathname));
    if (!route) return rejectUpgrade(socket, 404, 'NOT_FOUND', 'No WebSocket endpoint here');
    socket.on('error', () => socket.destroy());
    route.handle(req, socket, head);
  };
  server.on('upgrade', listener);
  return () => void server.off('upgrade', listener);
}

/** Answers an upgrade request with a plain HTTP error (JSON body like the REST API's) and closes the socket. */
export function rejectUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ statusCode: status, code, message });
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Connection: close',
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(status === 401 ? ['WWW-Authenticate: Bearer'] : []),
  ];
  socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
  setTimeout(() => socket.destroy(), 1000).unref();
}
