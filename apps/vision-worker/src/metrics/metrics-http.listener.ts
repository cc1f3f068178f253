import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the listener serves: the exposition text and its content type, produced at each scrape. */
export interface MetricsSource {
  readonly contentType: string;
  scrape(): Promise<string>;
}

/**
 * The worker's `/metrics` on a listener of its own: GET (and HEAD) /metrics answers the scrape; any other path is a
 * 404, any other method on /metrics a 405. No authentication: it is protected by where it binds (METRICS_HOST,
 * loopback by default). `close()` is idempotent and drops open keep-alive connections.
 */
export class MetricsHttpListener {
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

  /** Resolves with the bound port (the one the kernel chose for port 0). */
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
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if ((req.url ?? '').split('?')[0] !== '/metrics') return this.reply(res, 404, 'Not Found\n');
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
