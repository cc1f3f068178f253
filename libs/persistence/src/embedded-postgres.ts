import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirLock } from './data-dir.lock';
import { PersistenceError } from './persistence-error';

/** Where under DATA_DIR the embedded cluster and its lock live. */
export const EMBEDDED_PGDATA_DIR = 'pgdata';
export const EMBEDDED_LOCK_FILE = 'pgdata.lock';

/**
 * PostgreSQL compiled to WebAssembly (PGlite), run in this process and served over the PostgreSQL wire
 * protocol on 127.0.0.1:<ephemeral port>, so TypeORM's ordinary `postgres` driver works unchanged.
 * PGlite is single-connection: the socket server runs one query at a time and keeps a transaction's
 * statements together, so the pool only buys queueing, not parallelism.
 */
export class EmbeddedPostgres {
  private stopping?: Promise<void>;

  private constructor(
    readonly host: string,
    readonly port: number,
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    private readonly lock: DataDirLock,
  ) {}

  /**
   * Locks `<dataDir>/pgdata.lock` (DATA_DIR_LOCKED if held), opens or initialises `<dataDir>/pgdata`
   * and listens on 127.0.0.1 port 0. `maxConnections` must be at least the client pool size.
   */
  static async start(dataDir: string, maxConnections: number): Promise<EmbeddedPostgres> {
    mkdirSync(dataDir, { recursive: true });
    const lock = DataDirLock.acquire(join(dataDir, EMBEDDED_LOCK_FILE));
    let db: PGlite | undefined;
    let server: PGLiteSocketServer | undefined;
    try {
      db = await PGlite.create(join(dataDir, EMBEDDED_PGDATA_DIR));
      server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
      await server.start();
      const [host, port] = splitHostPort(server.getServerConn());
      return new EmbeddedPostgres(host, port, db, server, lock);
    } catch (e) {
      await server?.stop().catch(() => undefined);
      await db?.close().catch(() => undefined);
      lock.release();
      throw new PersistenceError('EMBEDDED_START_FAILED', `embedded PostgreSQL under ${dataDir} failed to start: ${String(e)}`, {
        cause: e,
      });
    }
  }

  /** Idempotent: stops listening, closes PGlite (flushing to disk), releases the lock. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      try {
        await this.server.stop();
      } finally {
        try {
          await this.db.close();
        } finally {
          this.lock.release();
        }
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
