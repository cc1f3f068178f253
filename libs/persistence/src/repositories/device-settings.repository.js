"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.DeviceSettingsRepository = void 0;
const typeorm_1 = require("typeorm");
const device_settings_entity_1 = require("../entities/device-settings.entity");
const persistence_error_1 = require("../persistence-error");
/** Per-device settings; a device without a stored row gets DEFAULT_DEVICE_SETTINGS. */
class DeviceSettingsRepository {
    dataSource;
    repo;
    constructor(dataSource) {
        this.dataSource = dataSource;
        this.repo = dataSource.getRepository(device_settings_entity_1.DeviceSettingsEntity);
    }
    async get(deviceId) {
        const row = await this.repo.findOneBy({ deviceId });
        return row ? plain(row) : { deviceId, ...device_settings_entity_1.DEFAULT_DEVICE_SETTINGS };
    }
    /**
     * Without ids: every stored row. With ids: one entry per id, defaults where none is stored.
     */
    async getMany(deviceIds) {
        if (!deviceIds)
            return (await this.repo.find({ order: { deviceId: 'ASC' } })).map(plain);
        if (deviceIds.length === 0)
            return [];
        const stored = new Map((await this.repo.findBy({ deviceId: (0, typeorm_1.In)([...deviceIds]) })).map((r) => [r.deviceId, r]));
        return deviceIds.map((deviceId) => {
            const row = stored.get(deviceId);
            return row ? plain(row) : { deviceId, ...device_settings_entity_1.DEFAULT_DEVICE_SETTINGS };
        });
    }
    /**
     * Applies the patch (undefined = keep; `password: null` clears it) and returns the result.
     * Throws PersistenceError DEVICE_NOT_FOUND when the device does not exist.
     */
    async update(deviceId, patch) {
        const current = await this.get(deviceId);
        const next = {
            deviceId,
            password: patch.password === undefined ? current.password : patch.password,
            charset: patch.charset ?? current.charset,
            streamTransport: patch.streamTransport ?? current.streamTransport,
        };
        // Only the patched columns are overwritten on conflict, so concurrent patches of different fields both land.
        const sets = ['password', 'charset', 'streamTransport']
            .filter((k) => patch[k] !== undefined)
            .map((k) => {
            const c = k === 'streamTransport' ? 'stream_transport' : k;
            return `"${c}" = EXCLUDED."${c}"`;
        });
        try {
            const rows = (await this.dataSource.query(`INSERT INTO "device_settings" ("device_id", "password", "charset", "stream_transport") VALUES ($1, $2, $3, $4)
         ON CONFLICT ("device_id") DO ${sets.length ? `UPDATE SET ${sets.join(', ')}` : 'NOTHING'}
         RETURNING "password", "charset", "stream_transport"`, [deviceId, next.password, next.charset, next.streamTransport]));
            if (rows.length === 0)
                return this.get(deviceId);
            return { deviceId, password: rows[0].password, charset: rows[0].charset, streamTransport: rows[0].stream_transport };
        }
        catch (e) {
            if ((0, persistence_error_1.pgErrorCode)(e) === persistence_error_1.PG_FOREIGN_KEY_VIOLATION) {
                throw new persistence_error_1.PersistenceError('DEVICE_NOT_FOUND', `device ${deviceId} does not exist`, { cause: e });
            }
            throw e;
        }
    }
}
exports.DeviceSettingsRepository = DeviceSettingsRepository;
function plain(row) {
    return { deviceId: row.deviceId, password: row.password, charset: row.charset, streamTransport: row.streamTransport };
}
//# sourceMappingURL=device-settings.repository.js.map