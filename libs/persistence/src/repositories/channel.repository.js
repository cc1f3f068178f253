"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.ChannelRepository = exports.CHANNEL_UPSERT_CHUNK_ROWS = void 0;
const channel_entity_1 = require("../entities/channel.entity");
const persistence_error_1 = require("../persistence-error");
const sql_columns_1 = require("../sql-columns");
/** Rows per INSERT statement when writing channels. */
exports.CHANNEL_UPSERT_CHUNK_ROWS = 1000;
/**
 * Column order of the unnest() insert: [column, SQL array type, value of a row].
 * The whole chunk travels as one array per column, so a chunk is one statement with 18 parameters.
 */
const COLUMNS = [
    ['channel_id', 'varchar[]', (r) => r.channelId],
    ['name', 'varchar[]', (r) => r.name ?? null],
    ['manufacturer', 'varchar[]', (r) => r.manufacturer ?? null],
    ['model', 'varchar[]', (r) => r.model ?? null],
    ['owner', 'varchar[]', (r) => r.owner ?? null],
    ['civil_code', 'varchar[]', (r) => r.civilCode ?? null],
    ['block', 'varchar[]', (r) => r.block ?? null],
    ['address', 'varchar[]', (r) => r.address ?? null],
    ['parental', 'int[]', (r) => r.parental ?? null],
    ['parent_id', 'varchar[]', (r) => r.parentId ?? null],
    ['ip_address', 'varchar[]', (r) => r.ipAddress ?? null],
    ['port', 'int[]', (r) => r.port ?? null],
    ['status', 'varchar[]', (r) => r.status ?? null],
    ['longitude', 'float8[]', (r) => r.longitude ?? null],
    ['latitude', 'float8[]', (r) => r.latitude ?? null],
    ['ptz_type', 'int[]', (r) => r.ptzType ?? null],
    // jsonb travels as text: node-postgres would otherwise write nested arrays as SQL arrays.
    ['raw', 'text[]', (r) => (r.raw == null ? null : JSON.stringify(r.raw))],
];
const UPSERT_SQL = `INSERT INTO "channels" ("device_id", ${COLUMNS.map(([c]) => `"${c}"`).join(', ')}, "updated_at") ` +
    `SELECT $1, ${COLUMNS.map(([c]) => (c === 'raw' ? 'v.raw::jsonb' : `v.${c}`)).join(', ')}, now() ` +
    `FROM unnest(${COLUMNS.map(([, type], i) => `$${i + 2}::${type}`).join(', ')}) AS v(${COLUMNS.map(([c]) => c).join(', ')}) ` +
    `ON CONFLICT ("device_id", "channel_id") DO UPDATE SET ` +
    COLUMNS.filter(([c]) => c !== 'channel_id')
        .map(([c]) => `"${c}" = EXCLUDED."${c}"`)
        .concat('"updated_at" = now()')
        .join(', ');
/** Channels table access. Thin: no business rules. */
class ChannelRepository {
    dataSource;
    repo;
    constructor(dataSource) {
        this.dataSource = dataSource;
        this.repo = dataSource.getRepository(channel_entity_1.ChannelEntity);
    }
    listByDevice(deviceId) {
        return this.repo.find({ where: { deviceId }, order: { channelId: 'ASC' } });
    }
    findOne(deviceId, channelId) {
        return this.repo.findOneBy({ deviceId, channelId });
    }
    countByDevice(deviceId) {
        return this.repo.countBy({ deviceId });
    }
    /**
     * Writes a catalog in one transaction: upserts every item (CHANNEL_UPSERT_CHUNK_ROWS per statement);
     * with `complete` (every item of the SumNum arrived) also deletes the device's rows not in `items`.
     * An item listed twice: the last one wins. Returns the device's channel count afterwards.
     * Throws PersistenceError DEVICE_NOT_FOUND when the device row does not exist.
     */
    replaceForDevice(deviceId, items, opts) {
        return this.withDeviceCheck(deviceId, () => this.dataSource.transaction(async (manager) => {
            const unique = (0, sql_columns_1.lastPerKey)(items, (r) => r.channelId);
            await upsertChunks(manager, deviceId, unique);
            if (opts.complete) {
                await manager.query(`DELETE FROM "channels" WHERE "device_id" = $1 AND NOT ("channel_id" = ANY($2::varchar[]))`, [deviceId, unique.map((r) => r.channelId)]);
            }
            const [{ n }] = (await manager.query(`SELECT count(*)::int AS n FROM "channels" WHERE "device_id" = $1`, [
                deviceId,
            ]));
            return n;
        }));
    }
    /** Upserts items (catalog NOTIFY ADD / UPDATE), in one transaction. */
    async upsertMany(deviceId, items) {
        if (items.length === 0)
            return;
        const unique = (0, sql_columns_1.lastPerKey)(items, (r) => r.channelId);
        await this.withDeviceCheck(deviceId, () => unique.length <= exports.CHANNEL_UPSERT_CHUNK_ROWS
            ? upsertChunks(this.dataSource.manager, deviceId, unique)
            : this.dataSource.transaction((manager) => upsertChunks(manager, deviceId, unique)));
    }
    /** Deletes the given channels of a device (catalog NOTIFY DEL). Returns how many existed. */
    async deleteMany(deviceId, channelIds) {
        if (channelIds.length === 0)
            return 0;
        // TypeORM's postgres driver answers a DELETE with [rows, rowCount].
        const [, count] = (await this.dataSource.query(`DELETE FROM "channels" WHERE "device_id" = $1 AND "channel_id" = ANY($2::varchar[])`, [deviceId, channelIds]));
        return count;
    }
    async withDeviceCheck(deviceId, work) {
        try {
            return await work();
        }
        catch (e) {
            if ((0, persistence_error_1.pgErrorCode)(e) === persistence_error_1.PG_FOREIGN_KEY_VIOLATION) {
                throw new persistence_error_1.PersistenceError('DEVICE_NOT_FOUND', `device ${deviceId} does not exist`, { cause: e });
            }
            throw e;
        }
    }
}
exports.ChannelRepository = ChannelRepository;
async function upsertChunks(manager, deviceId, rows) {
    for (const part of (0, sql_columns_1.chunk)(rows, exports.CHANNEL_UPSERT_CHUNK_ROWS)) {
        await manager.query(UPSERT_SQL, [deviceId, ...COLUMNS.map(([, , get]) => part.map(get))]);
    }
}
//# sourceMappingURL=channel.repository.js.map