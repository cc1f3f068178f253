"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.EmbeddedPostgres = exports.EMBEDDED_LOCK_FILE = exports.EMBEDDED_PGDATA_DIR = void 0;
const pglite_1 = require("@electric-sql/pglite");
const pglite_socket_1 = require("@electric-sql/pglite-socket");
const node_fs_1 = require("node:fs");
const node_path_1 = require("node:path");
const data_dir_lock_1 = require("./data-dir.lock");
const persistence_error_1 = require("./persistence-error");
/** Where under DATA_DIR the embedded cluster and its lock live. */
exports.EMBEDDED_PGDATA_DIR = 'pgdata';
exports.EMBEDDED_LOCK_FILE = 'pgdata.lock';
/**
 * PostgreSQL compiled to WebAssembly (PGlite), run in this process and served over the PostgreSQL wire
 * protocol on 127.0.0.1:<ephemeral port>, so TypeORM's ordinary `postgres` driver works unchanged.
 * PGlite is single-connection: the socket server runs one query at a time and keeps a transaction's
 * statements together, so the pool only buys queueing, not parallelism.
 */
class EmbeddedPostgres {
    host;
    port;
    db;
    server;
    lock;
    stopping;
    constructor(host, port, db, server, lock) {
        this.host = host;
        this.port = port;
        this.db = db;
        this.server = server;
        this.lock = lock;
    }
    /**
     * Locks `<dataDir>/pgdata.lock` (DATA_DIR_LOCKED if held), opens or initialises `<dataDir>/pgdata`
     * and listens on 127.0.0.1 port 0. `maxConnections` must be at least the client pool size.
     */
    static async start(dataDir, maxConnections) {
        (0, node_fs_1.mkdirSync)(dataDir, { recursive: true });
        const lock = data_dir_lock_1.DataDirLock.acquire((0, node_path_1.join)(dataDir, exports.EMBEDDED_LOCK_FILE));
        let db;
        let server;
        try {
            db = await pglite_1.PGlite.create((0, node_path_1.join)(dataDir, exports.EMBEDDED_PGDATA_DIR));
            server = new pglite_socket_1.PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
            await server.start();
            const [host, port] = splitHostPort(server.getServerConn());
            return new EmbeddedPostgres(host, port, db, server, lock);
        }
        catch (e) {
            await server?.stop().catch(() => undefined);
            await db?.close().catch(() => undefined);
            lock.release();
            throw new persistence_error_1.PersistenceError('EMBEDDED_START_FAILED', `embedded PostgreSQL under ${dataDir} failed to start: ${String(e)}`, {
                cause: e,
            });
        }
    }
    /** Idempotent: stops listening, closes PGlite (flushing to disk), releases the lock. */
    stop() {
        this.stopping ??= (async () => {
            try {
                await this.server.stop();
            }
            finally {
                try {
                    await this.db.close();
                }
                finally {
                    this.lock.release();
                }
            }
        })();
        return this.stopping;
    }
}
exports.EmbeddedPostgres = EmbeddedPostgres;
function splitHostPort(conn) {
    const i = conn.lastIndexOf(':');
    const port = Number(conn.slice(i + 1));
    if (i < 0 || !Number.isInteger(port) || port <= 0)
        throw new Error(`unexpected socket server address "${conn}"`);
    return [conn.slice(0, i), port];
}
//# sourceMappingURL=embedded-postgres.js.map