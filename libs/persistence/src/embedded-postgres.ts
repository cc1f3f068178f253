import { spawn, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirLock } from './data-dir.lock';
import { PersistenceError } from './persistence-error';

/** Where under DATA_DIR the embedded cluster and its lock live. */
export const EMBEDDED_PGDATA_DIR = 'pgdata';
export const EMBEDDED_LOCK_FILE = 'pgdata.lock';
/**
 * PostgreSQL's shared_buffers inside PGlite's WebAssembly heap. PGlite's default (PostgreSQL's 128MB) fills the heap as
 * tables are read, and a WebAssembly heap never shrinks; the tables sit in the OS page cache anyway (PGlite reads its
 * files through node:fs), so a small pool costs copies, not disk reads. The gateway idled at 429 MB with 128MB and at
 * 239–272 MB with this; 8MB measured no lower (docs/decisions/database.md, "Embedded database memory").
 */
export const EMBEDDED_SHARED_BUFFERS = '16MB';

/**
 * The serving code, run with `eval` (a worker thread) or `node -e` (a child process, argv[1] = JSON of its data), so it
 * needs no separate compiled file (it works the same under vitest and from dist). It owns PGlite and the socket server;
 * the gateway only speaks the wire protocol to it.
 */
const SERVER_SOURCE = `
const wt = require('node:worker_threads');
const port = wt.parentPort;
const data = port ? wt.workerData : JSON.parse(process.argv[1]);
const send = (m) => (port ? port.postMessage(m) : process.send(m));
const { PGlite } = require(data.pglitePath);
const { PGLiteSocketServer } = require(data.socketPath);
let db, server;
(async () => {
  try {
    db = await PGlite.create(data.pgdata, {
      startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=' + data.sharedBuffers],
    });
    server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: data.maxConnections });
    await server.start();
    send({ type: 'ready', conn: server.getServerConn() });
  } catch (e) {
    send({ type: 'error', message: String(e && e.stack || e) });
  }
})();
(port || process).on('message', async (m) => {
  if (m !== 'stop') return;
  try { if (server) await server.stop(); } catch {}
  try { if (db) await db.close(); } catch {}
  send({ type: 'stopped' });
  if (!port) process.disconnect();
});
if (!port) process.on('disconnect', () => process.exit(0));
`;

/** Time the first start (initdb and the migrations, in a child process) may take to answer (~5 s on an idle core, 30 s seen on a loaded 2-core machine). */
export const EMBEDDED_INITDB_TIMEOUT_MS = 180_000;

/** Where the server runs: a worker thread of this process, or a child process of its own (see EmbeddedPostgres.start). */
export type EmbeddedHost = 'worker' | 'process';

/**
 * PostgreSQL compiled to WebAssembly (PGlite), served over the PostgreSQL wire protocol on 127.0.0.1:<ephemeral
 * port>, so TypeORM's ordinary `postgres` driver works unchanged. It runs in a worker thread: PGlite executes
 * synchronously in WebAssembly, and on the main thread a 2,000-row flush blocked the event loop long enough for the
 * kernel to drop SIP datagrams (profile: 28 % of gateway CPU in PGlite during a keepalive storm, 74 % of keepalives
 * unanswered). PGlite is single-connection: the socket server runs one query at a time.
 *
 * On a first start (no cluster yet) it runs in a child process instead: initdb and the schema migrations grow the
 * WebAssembly heap, which never shrinks and which a worker thread that ends does not return either; an exiting process
 * returns all of it. openDatabase stops that first server after the migrations and serves from a worker from then on.
 */
export class EmbeddedPostgres {
  private stopping?: Promise<void>;

  private constructor(
    readonly host: string,
    readonly port: number,
    readonly runsIn: EmbeddedHost,
    private readonly server: Worker | ChildProcess,
    private readonly lock: DataDirLock,
  ) {}

  /** Whether `<dataDir>/pgdata` holds a cluster (false: the next start runs initdb). */
  static exists(dataDir: string): boolean {
    return existsSync(join(dataDir, EMBEDDED_PGDATA_DIR, 'PG_VERSION'));
  }

  /**
   * Locks `<dataDir>/pgdata.lock` (DATA_DIR_LOCKED if held), opens or initialises `<dataDir>/pgdata`
   * and listens on 127.0.0.1 port 0. `maxConnections` must be at least the client pool size. `runsIn`: see the class.
   */
  static async start(dataDir: string, maxConnections: number, runsIn: EmbeddedHost = 'worker'): Promise<EmbeddedPostgres> {
    mkdirSync(dataDir, { recursive: true });
    const lock = DataDirLock.acquire(join(dataDir, EMBEDDED_LOCK_FILE));
    const data = {
      pglitePath: require.resolve('@electric-sql/pglite'),
      socketPath: require.resolve('@electric-sql/pglite-socket'),
      pgdata: join(dataDir, EMBEDDED_PGDATA_DIR),
      maxConnections,
      sharedBuffers: EMBEDDED_SHARED_BUFFERS,
    };
    let server: Worker | ChildProcess | undefined;
    try {
      server =
        runsIn === 'worker'
          ? new Worker(SERVER_SOURCE, { eval: true, workerData: data })
          : spawn(process.execPath, ['-e', SERVER_SOURCE, JSON.stringify(data)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      const conn = await serverAddress(server, runsIn === 'process' ? EMBEDDED_INITDB_TIMEOUT_MS : undefined);
      server.removeAllListeners('exit');
      server.removeAllListeners('error');
      server.removeAllListeners('message');
      server.on('error', () => undefined);
      const [host, port] = splitHostPort(conn);
      return new EmbeddedPostgres(host, port, runsIn, server, lock);
    } catch (e) {
      if (server) await end(server).catch(() => undefined);
      lock.release();
      throw new PersistenceError('EMBEDDED_START_FAILED', `embedded PostgreSQL under ${dataDir} failed to start: ${String(e)}`, {
        cause: e,
      });
    }
  }

  /** Idempotent: stops listening, closes PGlite (flushing to disk), ends the worker or process, releases the lock. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      try {
        const server = this.server;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 10_000);
          server.on('message', (m: { type: string }) => {
            if (m.type === 'stopped') {
              clearTimeout(t);
              resolve();
            }
          });
          server.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          if (server instanceof Worker) server.postMessage('stop');
          else if (server.connected) server.send('stop');
          else resolve();
        });
        await end(server);
      } finally {
        this.lock.release();
      }
    })();
    return this.stopping;
  }
}

/** Ends a worker (terminate) or a child process (SIGKILL unless it has exited), resolving once it is gone. */
async function end(server: Worker | ChildProcess): Promise<void> {
  if (server instanceof Worker) {
    await server.terminate();
    return;
  }
  if (server.exitCode !== null || server.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  server.kill('SIGKILL');
  await gone;
}

/**
 * The socket server's host:port once the server is ready; rejects on its error message, an error event, its exit (with
 * a child process's last stderr) or, when given, after `timeoutMs`.
 */
function serverAddress(server: Worker | ChildProcess, timeoutMs?: number): Promise<string> {
  let stderr = '';
  if (!(server instanceof Worker)) server.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  return new Promise((resolve, reject) => {
    const timer = timeoutMs ? setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs) : undefined;
    const settle = <T,>(f: (v: T) => void) => (v: T) => {
      clearTimeout(timer);
      f(v);
    };
    server.once('error', settle(reject));
    server.once('exit', (code: number | null, signal?: string | null) =>
      settle(reject)(new Error(`${server instanceof Worker ? 'worker' : 'process'} exited with ${code ?? signal}${stderr ? `: ${stderr}` : ''}`)),
    );
    server.on('message', (m: { type: string; conn?: string; message?: string }) => {
      if (m.type === 'ready') settle(resolve)(m.conn!);
      else if (m.type === 'error') settle(reject)(new Error(m.message));
    });
  });
}

function splitHostPort(conn: string): [string, number] {
  const i = conn.lastIndexOf(':');
  const port = Number(conn.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port <= 0) throw new Error(`unexpected socket server address "${conn}"`);
  return [conn.slice(0, i), port];
}
