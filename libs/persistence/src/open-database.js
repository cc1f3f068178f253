"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.MIGRATION_LOCK_KEY = exports.DEFAULT_POOL_SIZE = exports.MIGRATIONS = exports.ENTITIES = void 0;
exports.openDatabase = openDatabase;
const typeorm_1 = require("typeorm");
const app_secret_entity_1 = require("./entities/app-secret.entity");
const channel_entity_1 = require("./entities/channel.entity");
const device_settings_entity_1 = require("./entities/device-settings.entity");
const device_entity_1 = require("./entities/device.entity");
const embedded_postgres_1 = require("./embedded-postgres");
const _1795824000000_initial_schema_1 = require("./migrations/1795824000000-initial-schema");
const persistence_error_1 = require("./persistence-error");
const channel_repository_1 = require("./repositories/channel.repository");
const device_settings_repository_1 = require("./repositories/device-settings.repository");
const device_repository_1 = require("./repositories/device.repository");
const secret_repository_1 = require("./repositories/secret.repository");
exports.ENTITIES = [device_entity_1.DeviceEntity, channel_entity_1.ChannelEntity, device_settings_entity_1.DeviceSettingsEntity, app_secret_entity_1.AppSecretEntity];
exports.MIGRATIONS = [_1795824000000_initial_schema_1.InitialSchema1795824000000];
/** Pool sizes when the caller gives none. Embedded queries run one at a time anyway. */
exports.DEFAULT_POOL_SIZE = { postgres: 10, embedded: 4 };
/** pg_advisory_lock key held while migrating, so two gateways sharing one PostgreSQL migrate in turn. */
exports.MIGRATION_LOCK_KEY = 2818_1795;
/**
 * Opens the database and brings its schema up to date (pending migrations run inside one transaction).
 * Errors: PersistenceError DATA_DIR_LOCKED, EMBEDDED_START_FAILED, DATABASE_UNREACHABLE, MIGRATION_FAILED.
 */
async function openDatabase(opts) {
    const kind = opts.databaseUrl ? 'postgres' : 'embedded';
    const poolSize = opts.poolSize ?? exports.DEFAULT_POOL_SIZE[kind];
    // Room for pool churn: the socket server counts a closed connection until its close event runs.
    const embedded = kind === 'embedded' ? await embedded_postgres_1.EmbeddedPostgres.start(opts.dataDir, poolSize * 2 + 2) : undefined;
    const connection = embedded
        ? { host: embedded.host, port: embedded.port, username: 'postgres', database: 'postgres' }
        : { url: opts.databaseUrl };
    const options = {
        type: 'postgres',
        ...connection,
        entities: exports.ENTITIES,
        migrations: exports.MIGRATIONS,
        migrationsRun: false,
        migrationsTransactionMode: 'all',
        synchronize: opts.synchronize ?? false,
        installExtensions: false,
        logging: opts.logging ?? false,
        applicationName: 'gb-gateway',
        extra: { max: poolSize },
    };
    const dataSource = new typeorm_1.DataSource(options);
    try {
        try {
            await dataSource.initialize();
        }
        catch (e) {
            throw new persistence_error_1.PersistenceError('DATABASE_UNREACHABLE', `cannot connect to ${embedded ? `embedded PostgreSQL at ${embedded.host}:${embedded.port}` : describeUrl(opts.databaseUrl)}: ${messageOf(e)}`, { cause: e });
        }
        if (!opts.synchronize)
            await migrate(dataSource);
    }
    catch (e) {
        if (dataSource.isInitialized)
            await dataSource.destroy().catch(() => undefined);
        await embedded?.stop().catch(() => undefined);
        throw e;
    }
    let closing;
    return {
        dataSource,
        kind,
        devices: new device_repository_1.DeviceRepository(dataSource),
        channels: new channel_repository_1.ChannelRepository(dataSource),
        settings: new device_settings_repository_1.DeviceSettingsRepository(dataSource),
        secrets: new secret_repository_1.SecretRepository(dataSource),
        close() {
            closing ??= (async () => {
                try {
                    if (dataSource.isInitialized)
                        await dataSource.destroy();
                }
                finally {
                    await embedded?.stop();
                }
            })();
            return closing;
        },
    };
}
async function migrate(dataSource) {
    const runner = dataSource.createQueryRunner();
    try {
        await runner.query('SELECT pg_advisory_lock($1)', [exports.MIGRATION_LOCK_KEY]);
        try {
            await dataSource.runMigrations({ transaction: 'all' });
        }
        finally {
            await runner.query('SELECT pg_advisory_unlock($1)', [exports.MIGRATION_LOCK_KEY]);
        }
    }
    catch (e) {
        throw new persistence_error_1.PersistenceError('MIGRATION_FAILED', `schema migration failed: ${messageOf(e)}`, { cause: e });
    }
    finally {
        await runner.release();
    }
}
/** host:port/db of a URL, never its password (DATABASE_URL is a secret). */
function describeUrl(url) {
    try {
        const u = new URL(url ?? '');
        return `PostgreSQL at ${u.hostname}:${u.port || '5432'}${u.pathname}`;
    }
    catch {
        return 'PostgreSQL (DATABASE_URL is not a valid URL)';
    }
}
function messageOf(e) {
    if (e instanceof AggregateError && e.errors.length)
        return e.errors.map(messageOf).join('; ');
    return e instanceof Error ? e.message : String(e);
}
//# sourceMappingURL=open-database.js.map