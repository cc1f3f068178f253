"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
const node_fs_1 = require("node:fs");
const node_os_1 = require("node:os");
const node_path_1 = require("node:path");
const vitest_1 = require("vitest");
const embedded_postgres_1 = require("./embedded-postgres");
const open_database_1 = require("./open-database");
const repository_contract_1 = require("./repository.contract");
// Each PGlite open costs seconds (initdb ~5 s on first open), so the whole file shares one data dir
// and opens it twice: once fresh, once in the contract's reopen test.
const root = (0, node_fs_1.mkdtempSync)((0, node_path_1.join)((0, node_os_1.tmpdir)(), 'gb-persistence-'));
const dataDir = (0, node_path_1.join)(root, 'data'); // does not exist yet: openDatabase creates it
let current;
(0, vitest_1.beforeAll)(async () => {
    current = await (0, open_database_1.openDatabase)({ dataDir });
}, 180_000); // initdb in WebAssembly: ~5 s on an idle core, 30 s seen on a loaded 2-core machine
(0, vitest_1.afterAll)(async () => {
    await current?.close();
    (0, node_fs_1.rmSync)(root, { recursive: true, force: true });
});
(0, vitest_1.describe)('openDatabase() without databaseUrl', () => {
    (0, vitest_1.it)('creates the data dir, an embedded cluster under <dataDir>/pgdata and a lock file naming this pid', () => {
        (0, vitest_1.expect)(current?.kind).toBe('embedded');
        (0, vitest_1.expect)((0, node_fs_1.existsSync)((0, node_path_1.join)(dataDir, embedded_postgres_1.EMBEDDED_PGDATA_DIR, 'PG_VERSION'))).toBe(true);
        (0, vitest_1.expect)(JSON.parse((0, node_fs_1.readFileSync)((0, node_path_1.join)(dataDir, embedded_postgres_1.EMBEDDED_LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    });
    (0, vitest_1.it)('a second open of the same dataDir while it is open fails with DATA_DIR_LOCKED and leaves the first usable', async () => {
        await (0, vitest_1.expect)((0, open_database_1.openDatabase)({ dataDir })).rejects.toMatchObject({ code: 'DATA_DIR_LOCKED' });
        await (0, vitest_1.expect)((0, open_database_1.openDatabase)({ dataDir })).rejects.toThrow(/in use by pid \d+/);
        (0, vitest_1.expect)(await current.dataSource.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    });
    (0, vitest_1.it)('serves the postgres driver on an ephemeral 127.0.0.1 port', () => {
        const o = current.dataSource.options;
        (0, vitest_1.expect)(o.host).toBe('127.0.0.1');
        (0, vitest_1.expect)(o.port).toBeGreaterThan(0);
        (0, vitest_1.expect)(o.port).not.toBe(5432);
    });
});
(0, repository_contract_1.describeRepositoryContract)('embedded (PGlite)', {
    db: () => current,
    async reopen() {
        await current.close();
        (0, vitest_1.expect)((0, node_fs_1.existsSync)((0, node_path_1.join)(dataDir, embedded_postgres_1.EMBEDDED_LOCK_FILE))).toBe(false);
        current = await (0, open_database_1.openDatabase)({ dataDir });
        return current;
    },
});
//# sourceMappingURL=database-embedded.spec.js.map