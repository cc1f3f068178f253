"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.SecretRepository = void 0;
/** Generated application secrets (admin password hash, JWT secret). Values are never logged here. */
class SecretRepository {
    dataSource;
    constructor(dataSource) {
        this.dataSource = dataSource;
    }
    async get(key) {
        const rows = (await this.dataSource.query(`SELECT "value" FROM "app_secrets" WHERE "key" = $1`, [key]));
        return rows[0]?.value ?? null;
    }
    async set(key, value) {
        await this.dataSource.query(`INSERT INTO "app_secrets" ("key", "value") VALUES ($1, $2) ON CONFLICT ("key") DO UPDATE SET "value" = EXCLUDED."value"`, [key, value]);
    }
    /**
     * Returns the stored value, or stores `make()` and returns it. Race-safe across processes sharing
     * one PostgreSQL: the first insert wins and every caller gets that value.
     */
    async getOrCreate(key, make) {
        const existing = await this.get(key);
        if (existing !== null)
            return existing;
        const rows = (await this.dataSource.query(`INSERT INTO "app_secrets" ("key", "value") VALUES ($1, $2) ON CONFLICT ("key") DO NOTHING RETURNING "value"`, [key, make()]));
        if (rows.length > 0)
            return rows[0].value;
        return (await this.get(key));
    }
}
exports.SecretRepository = SecretRepository;
//# sourceMappingURL=secret.repository.js.map