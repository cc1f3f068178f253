"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
const node_crypto_1 = require("node:crypto");
const pg_1 = require("pg");
const vitest_1 = require("vitest");
const open_database_1 = require("./open-database");
const repository_contract_1 = require("./repository.contract");
/** Server for this suite; override with GB_TEST_PG_URL (must allow CREATE DATABASE). */
const ADMIN_URL = process.env.GB_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `gbtest_${(0, node_crypto_1.randomBytes)(6).toString('hex')}`;
const testUrl = (() => {
    const u = new URL(ADMIN_URL);
    u.pathname = `/${dbName}`;
    return u.toString();
})();
let current;
let created = false;
async function admin(work) {
    const c = new pg_1.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
    try {
        await c.connect();
    }
    catch (e) {
        throw new Error(`PostgreSQL is not reachable at ${new URL(ADMIN_URL).host} (${e.message}). ` +
            'Start it (e.g. `service postgresql start`, trust auth for user postgres on 127.0.0.1) or set GB_TEST_PG_URL.', { cause: e });
    }
    try {
        return await work(c);
    }
    finally {
        await c.end();
    }
}
(0, vitest_1.beforeAll)(async () => {
    await admin((c) => c.query(`CREATE DATABASE "${dbName}"`));
    created = true;
    current = await (0, open_database_1.openDatabase)({ databaseUrl: testUrl, dataDir: '/nonexistent-unused' });
});
(0, vitest_1.afterAll)(async () => {
    await current?.close();
    if (created)
        await admin((c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
});
(0, vitest_1.describe)('openDatabase() with databaseUrl', () => {
    (0, vitest_1.it)('connects to the PostgreSQL server, not the embedded one', async () => {
        (0, vitest_1.expect)(current?.kind).toBe('postgres');
        const [row] = (await current.dataSource.query('SELECT version() AS v, current_database() AS db'));
        (0, vitest_1.expect)(row.db).toBe(dbName);
        (0, vitest_1.expect)(row.v).not.toMatch(/PGlite/);
    });
    (0, vitest_1.it)('a second gateway opening the same database concurrently migrates once', async () => {
        const other = await (0, open_database_1.openDatabase)({ databaseUrl: testUrl, dataDir: '/nonexistent-unused', poolSize: 2 });
        try {
            (0, vitest_1.expect)(await other.dataSource.query(`SELECT count(*)::int AS n FROM migrations`)).toEqual([{ n: 1 }]);
        }
        finally {
            await other.close();
        }
    });
    (0, vitest_1.it)('an unreachable server fails with DATABASE_UNREACHABLE and the message omits the password', async () => {
        const err = await (0, open_database_1.openDatabase)({ databaseUrl: 'postgres://gb:hunter2@127.0.0.1:1/gb', dataDir: '/unused' }).catch((e) => e);
        (0, vitest_1.expect)(err).toMatchObject({ name: 'PersistenceError', code: 'DATABASE_UNREACHABLE' });
        (0, vitest_1.expect)(err.message).toContain('127.0.0.1:1/gb');
        (0, vitest_1.expect)(err.message).not.toContain('hunter2');
    });
});
(0, repository_contract_1.describeRepositoryContract)('PostgreSQL', {
    db: () => current,
    async reopen() {
        await current.close();
        current = await (0, open_database_1.openDatabase)({ databaseUrl: testUrl, dataDir: '/nonexistent-unused' });
        return current;
    },
});
//# sourceMappingURL=database-postgres.spec.js.map