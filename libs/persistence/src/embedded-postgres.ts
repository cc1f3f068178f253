import { Worker } from 'node:worker_threads';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirLock } from './data-dir.lock';
import { PersistenceError } from './persistence-error';

/** Where under DATA_DIR the embedded cluster and its lock live. */
export const EMBEDDED_PGDATA_DIR = 'pgdata';
export const EMBEDDED_LOCK_FILE = 'pgdata.lock';

/**
 * The worker's code, run with `eval` so it needs no separate compiled file (it works the same under vitest and from
 * dist). It owns PGlite and the socket server; the main thread only speaks the wire protocol to it.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require(workerData.pglitePath);
const { PGLiteSocketServer } = require(workerData.socketPath);
let db, server;
(async () => {
  try {
    db = await PGlite.create(workerData.pgdata);
    server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: workerData.maxConnections });
    await server.start();
    parentPort.postMessage({ type: 'ready', conn: server.getServerConn() });
  } catch (e) {
    parentPort.postMessage({ type: 'error', message: String(e && e.stack || e) });
  }
})();
parentPort.on('message', async (m) => {
  if (m !== 'stop') return;
  try { if (server) await server.stop(); } catch {}
  try { if (db) await db.close(); } catch {}
  parentPort.postMessage({ type: 'stopped' });
});
`;

/**
 * PostgreSQL compiled to WebAssembly (PGlite), served over the PostgreSQL wire protocol on 127.0.0.1:<ephemeral
 * port>, so TypeORM's ordinary `postgres` driver works unchanged. It runs in a worker thread: PGlite executes
 * synchronously in WebAssembly, and on the main thread a 2,000-row flush blocked the event loop long enough for the
 * kernel to drop SIP datagrams (profile: 28 % of gateway CPU in PGlite during a keepalive storm, 74 % of keepalives
 * unanswered). PGlite is single-connection: the socket server runs one query at a time.
 */
export class EmbeddedPostgres {
  private stopping?: Promise<void>;

  private constructor(
    readonly host: string,
    readonly port: number,
    private readonly worker: Worker,
    private readonly lock: DataDirLock,
  ) {}

  /**
   * Locks `<dataDir>/pgdata.lock` (DATA_DIR_LOCKED if held), opens or initialises `<dataDir>/pgdata`
   * and listens on 127.0.0.1 port 0. `maxConnections` must be at least the client pool size.
   */
  static async start(dataDir: string, maxConnections: number): Promise<EmbeddedPostgres> {
    mkdirSync(dataDir, { recursive: true });
    const lock = DataDirLock.acquire(join(dataDir, EMBEDDED_LOCK_FILE));
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        pglitePath: require.resolve('@electric-sql/pglite'),
        socketPath: require.resolve('@electric-sql/pglite-socket'),
        pgdata: join(dataDir, EMBEDDED_PGDATA_DIR),
        maxConnections,
      },
    });
    try {
      const conn = await new Promise<string>((resolve, reject) => {
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`worker exited with code ${code}`)));
        worker.on('message', (m: { type: string; conn?: string; message?: string }) => {
          if (m.type === 'ready') resolve(m.conn!);
          else if (m.type === 'error') reject(new Error(m.message));
        });
      });
      worker.removeAllListeners('exit');
      worker.removeAllListeners('error');
      worker.on('error', () => undefined);
      const [host, port] = splitHostPort(conn);
      return new EmbeddedPostgres(host, port, worker, lock);
    } catch (e) {
      await worker.terminate().catch(() => undefined);
      lock.release();
      throw new PersistenceError('EMBEDDED_START_FAILED', `embedded PostgreSQL under ${dataDir} failed to start: ${String(e)}`, {
        cause: e,
      });
    }
  }

  /** Idempotent: stops listening, closes PGlite (flushing to disk), ends the worker, releases the lock. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      try {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 10_000);
          this.worker.on('message', (m: { type: string }) => {
            if (m.type === 'stopped') {
              clearTimeout(t);
              resolve();
            }
          });
          this.worker.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          this.worker.postMessage('stop');
        });
        await this.worker.terminate();
      } finally {
        this.lock.release();
      }
    })();
    return this.stopping;
  }
}

function splitHostPort(conn: string): [string, number] {
  const i = conn.lastIndexOf(':');
  const port = Number(conn.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port <= 0) throw new Error(`unexpected socket server address "${conn}"`);
  return [conn.slice(0, i), port];
}
