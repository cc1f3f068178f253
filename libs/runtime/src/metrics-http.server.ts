import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server serves: the exposition text and its content type, produced at each scrape. */
export interface MetricsSource {
  readonly contentType: string;
  scrape(): Promise<string>;
}

/**
 * A small HTTP listener apart from any API port that answers `GET /metrics` (and HEAD) and nothing else: 404 for any
 * other path, 405 for any other method. It has no authentication of its own: it is protected by where it binds
 * (loopback by default, METRICS_HOST). `close()` is idempotent and drops open keep-alive connections.
 * Shared by the gateway (port 9464) and the vision worker (9465).
 */
export class MetricsHttpServer {
  private readonly server: http.Server;
  private closed?: Promise<void>;

  constructor(
    private readonly source: MetricsSource,
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    // A scraper that stalls mid-request must not hold a socket for ever.
    this.server.requestTimeout = 10_000;
    this.server.headersTimeout = 5_000;
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve(this.port);
      });
    });
  }

  /** The bound port (0 before listen). */
  get port(): number {
    return this.address?.port ?? 0;
  }

  /** The bound address and port (undefined before listen). */
  get address(): AddressInfo | undefined {
    return (this.server.address() as AddressInfo | null) ?? undefined;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') return this.reply(res, 404, 'Not Found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return this.reply(res, 405, 'Method Not Allowed\n');
    }
    try {
      const body = await this.source.scrape();
      res.writeHead(200, { 'Content-Type': this.source.contentType, 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (e) {
      this.onError(e);
      this.reply(res, 500, 'metrics collection failed\n');
    }
  }

  private reply(res: http.ServerResponse, status: number, text: string): void {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(text);
  }

  close(): Promise<void> {
    this.closed ??= new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closed;
  }
}
