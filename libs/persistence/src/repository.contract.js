"use strict";
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
exports.registration = registration;
exports.describeRepositoryContract = describeRepositoryContract;
/**
 * The repository suite, run against every backend: embedded PGlite (database-embedded.spec.ts)
 * and a real PostgreSQL server (database-postgres.spec.ts).
 */
const iconv_lite_1 = __importDefault(require("iconv-lite"));
const vitest_1 = require("vitest");
const device_repository_1 = require("./repositories/device.repository");
const DEV = '34020000001320000001';
function registration(deviceId, extra = {}) {
    return {
        deviceId,
        transport: 'udp',
        remoteHost: '192.168.1.64',
        remotePort: 5060,
        localHost: '192.168.1.2',
        localPort: 5060,
        contactUri: `sip:${deviceId}@192.168.1.64:5060`,
        expires: 3600,
        registeredAt: new Date('2026-11-28T08:00:00.000Z'),
        registrationExpiresAt: new Date('2026-11-28T09:00:00.000Z'),
        online: true,
        ...extra,
    };
}
/** 20-digit ID with type code `type` (GB/T 28181-2016 Annex D: digits 11-13) and serial `n`. */
function gbId(type, n) {
    return `3402000000${type}${String(n).padStart(7, '0')}`;
}
async function expectCode(p, code) {
    await (0, vitest_1.expect)(p).rejects.toMatchObject({ name: 'PersistenceError', code });
}
function describeRepositoryContract(backend, h) {
    (0, vitest_1.describe)(`${backend}: schema`, () => {
        (0, vitest_1.it)('openDatabase() on an empty database creates the four tables through the InitialSchema migration', async () => {
            const rows = (await h.db().dataSource.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`));
            (0, vitest_1.expect)(rows.map((r) => r.table_name)).toEqual(['app_secrets', 'channels', 'device_settings', 'devices', 'migrations']);
            const applied = (await h.db().dataSource.query(`SELECT name FROM migrations`));
            (0, vitest_1.expect)(applied.map((r) => r.name)).toEqual(['InitialSchema1795824000000']);
        });
        (0, vitest_1.it)('the hand-written migration and the entity decorators describe the same schema (no pending change)', async () => {
            const pending = await h.db().dataSource.driver.createSchemaBuilder().log();
            (0, vitest_1.expect)(pending.upQueries.map((q) => q.query)).toEqual([]);
        });
    });
    (0, vitest_1.describe)(`${backend}: DeviceRepository`, () => {
        (0, vitest_1.it)('upsertRegistration() inserts a new device, then updates only the given columns', async () => {
            const { devices } = h.db();
            await devices.upsertRegistration(registration(DEV, { name: 'Gate NVR' }));
            const first = await devices.findById(DEV);
            (0, vitest_1.expect)(first).toMatchObject({ deviceId: DEV, name: 'Gate NVR', transport: 'udp', remotePort: 5060, online: true });
            (0, vitest_1.expect)(first?.registeredAt?.toISOString()).toBe('2026-11-28T08:00:00.000Z');
            (0, vitest_1.expect)(first?.channelCount).toBe(0);
            await devices.upsertRegistration({ deviceId: DEV, transport: 'tcp', remoteHost: '10.0.0.9', remotePort: 15060 });
            const second = await devices.findById(DEV);
            (0, vitest_1.expect)(second).toMatchObject({ transport: 'tcp', remoteHost: '10.0.0.9', remotePort: 15060, name: 'Gate NVR' });
            (0, vitest_1.expect)(second?.createdAt.getTime()).toBe(first?.createdAt.getTime());
            (0, vitest_1.expect)(second.updatedAt.getTime()).toBeGreaterThanOrEqual(first.updatedAt.getTime());
        });
        (0, vitest_1.it)('upsertRegistration() of an unknown device without an address fails with MISSING_COLUMN', async () => {
            await expectCode(h.db().devices.upsertRegistration({ deviceId: gbId('132', 9_000_001), online: true }), 'MISSING_COLUMN');
        });
        (0, vitest_1.it)('upsertRegistration() with a property that is not a column fails with UNKNOWN_COLUMN', async () => {
            const bad = { ...registration(DEV), colour: 'red' };
            await expectCode(h.db().devices.upsertRegistration(bad), 'UNKNOWN_COLUMN');
        });
        (0, vitest_1.it)('updateInfo(), setChannelCount() and markOffline() change just their columns', async () => {
            const { devices } = h.db();
            await devices.updateInfo(DEV, { manufacturer: 'Hikvision', model: 'DS-7608', firmware: 'V4.1' });
            await devices.setChannelCount(DEV, 8, new Date('2026-11-28T08:05:00.000Z'));
            await devices.markOffline([DEV, gbId('132', 9_999_999)]);
            const d = await devices.findById(DEV);
            (0, vitest_1.expect)(d).toMatchObject({ manufacturer: 'Hikvision', model: 'DS-7608', firmware: 'V4.1', name: 'Gate NVR' });
            (0, vitest_1.expect)(d).toMatchObject({ channelCount: 8, online: false });
            (0, vitest_1.expect)(d?.catalogSyncedAt?.toISOString()).toBe('2026-11-28T08:05:00.000Z');
        });
        (0, vitest_1.it)('flushLiveness() of 5000 rows writes them in one statement per LIVENESS_CHUNK_ROWS rows', async () => {
            const ds = h.db().dataSource;
            await ds.query(`INSERT INTO devices (device_id, transport, remote_host, remote_port, local_host, local_port)
         SELECT '34020000001329' || lpad(i::text, 6, '0'), 'udp', '10.1.0.1', 5060, '10.1.0.2', 5060
         FROM generate_series(1, 5000) AS i`);
            const base = Date.UTC(2026, 10, 28, 10, 0, 0);
            const rows = Array.from({ length: 5000 }, (_, i) => ({
                deviceId: `34020000001329${String(i + 1).padStart(6, '0')}`,
                lastKeepaliveAt: new Date(base + i * 1000),
                online: i % 3 !== 0,
                ...(i === 43 ? { remoteHost: '10.9.9.9', remotePort: 6060, transport: 'tcp' } : {}),
            }));
            const spy = vitest_1.vi.spyOn(ds, 'query');
            try {
                await h.db().devices.flushLiveness(rows);
                (0, vitest_1.expect)(spy).toHaveBeenCalledTimes(Math.ceil(5000 / device_repository_1.LIVENESS_CHUNK_ROWS));
            }
            finally {
                spy.mockRestore();
            }
            const [stats] = (await ds.query(`SELECT count(*) FILTER (WHERE online)::int AS online, count(last_keepalive_at)::int AS seen,
                max(last_keepalive_at) AS latest
         FROM devices WHERE device_id LIKE '34020000001329%'`));
            (0, vitest_1.expect)(stats.online).toBe(rows.filter((r) => r.online).length);
            (0, vitest_1.expect)(stats.seen).toBe(5000);
            (0, vitest_1.expect)(stats.latest.getTime()).toBe(base + 4999 * 1000);
            (0, vitest_1.expect)(await h.db().devices.findById(rows[43].deviceId)).toMatchObject({
                remoteHost: '10.9.9.9',
                remotePort: 6060,
                transport: 'tcp',
                online: true,
            });
            (0, vitest_1.expect)(await h.db().devices.findById(rows[44].deviceId)).toMatchObject({ remoteHost: '10.1.0.1', remotePort: 5060 });
        });
        (0, vitest_1.it)('flushLiveness() with a device listed twice keeps the last row and ignores unknown ids', async () => {
            const { devices } = h.db();
            await devices.flushLiveness([
                { deviceId: DEV, lastKeepaliveAt: new Date('2026-11-28T11:00:00.000Z'), online: false },
                { deviceId: gbId('132', 8_888_888), lastKeepaliveAt: new Date(), online: true },
                { deviceId: DEV, lastKeepaliveAt: new Date('2026-11-28T11:00:30.000Z'), online: true },
            ]);
            const d = await devices.findById(DEV);
            (0, vitest_1.expect)(d?.online).toBe(true);
            (0, vitest_1.expect)(d?.lastKeepaliveAt?.toISOString()).toBe('2026-11-28T11:00:30.000Z');
            (0, vitest_1.expect)(await devices.findById(gbId('132', 8_888_888))).toBeNull();
        });
    });
    (0, vitest_1.describe)(`${backend}: ChannelRepository`, () => {
        // A civil-code tree (GB/T 28181-2016 §A.2.4.5): province 34 > city 3402 > business group > virtual org > cameras.
        const tree = [
            { channelId: '3402', name: '合肥市', parental: 1 },
            { channelId: gbId('215', 1), name: '交通卡口', parentId: '3402', civilCode: '3402', parental: 1 },
            { channelId: gbId('216', 1), name: '东门片区', parentId: gbId('215', 1), civilCode: '3402', parental: 1 },
            ...[1, 2, 3].map((n) => ({
                channelId: gbId('131', n),
                name: `摄像机${n}`,
                parentId: gbId('216', 1),
                civilCode: '3402',
                parental: 0,
                status: n === 3 ? 'OFF' : 'ON',
                manufacturer: 'Hikvision',
                ipAddress: `192.168.1.${100 + n}`,
                port: 8000,
                longitude: 117.227 + n / 1000,
                latitude: 31.82,
                ptzType: n,
                raw: { DeviceID: gbId('131', n), Info: { PTZType: String(n) } },
            })),
        ];
        (0, vitest_1.it)('replaceForDevice() stores a catalog tree and listByDevice() returns it with parent ids', async () => {
            const { channels } = h.db();
            (0, vitest_1.expect)(await channels.replaceForDevice(DEV, tree, { complete: true })).toBe(6);
            const rows = await channels.listByDevice(DEV);
            (0, vitest_1.expect)(rows.map((r) => r.channelId)).toEqual(tree.map((r) => r.channelId).sort());
            const cams = rows.filter((r) => r.parentId === gbId('216', 1));
            (0, vitest_1.expect)(cams).toHaveLength(3);
            (0, vitest_1.expect)(cams[0]).toMatchObject({ name: '摄像机1', status: 'ON', port: 8000, ptzType: 1, latitude: 31.82 });
            (0, vitest_1.expect)(cams[0].longitude).toBeCloseTo(117.228, 9);
            (0, vitest_1.expect)(cams[0].raw).toEqual({ DeviceID: gbId('131', 1), Info: { PTZType: '1' } });
            const children = (await h.db().dataSource.query(`SELECT channel_id FROM channels WHERE device_id = $1 AND parent_id = $2`, [DEV, gbId('215', 1)]));
            (0, vitest_1.expect)(children.map((r) => r.channel_id)).toEqual([gbId('216', 1)]);
            (0, vitest_1.expect)(await channels.countByDevice(DEV)).toBe(6);
        });
        (0, vitest_1.it)('replaceForDevice() with complete=false keeps rows it was not given; complete=true deletes them', async () => {
            const { channels } = h.db();
            const renamed = { ...tree[3], name: '摄像机1-改' };
            (0, vitest_1.expect)(await channels.replaceForDevice(DEV, [renamed], { complete: false })).toBe(6);
            (0, vitest_1.expect)((await channels.findOne(DEV, renamed.channelId))?.name).toBe('摄像机1-改');
            (0, vitest_1.expect)(await channels.replaceForDevice(DEV, tree.slice(0, 4), { complete: true })).toBe(4);
            (0, vitest_1.expect)(await channels.findOne(DEV, gbId('131', 3))).toBeNull();
            (0, vitest_1.expect)(await channels.replaceForDevice(DEV, tree, { complete: true })).toBe(6);
        });
        (0, vitest_1.it)('replaceForDevice() with the same channel twice stores the last one', async () => {
            const { channels } = h.db();
            const twice = [...tree, { ...tree[4], name: 'second copy' }];
            (0, vitest_1.expect)(await channels.replaceForDevice(DEV, twice, { complete: true })).toBe(6);
            (0, vitest_1.expect)((await channels.findOne(DEV, tree[4].channelId))?.name).toBe('second copy');
        });
        (0, vitest_1.it)('names decoded from GB2312/GBK bytes (东门路口一号, 萳) are stored and read back unchanged', async () => {
            // What a device declaring encoding="GB2312" sends; 萳 (C8 6C) is a GBK extension such devices use anyway.
            const name = iconv_lite_1.default.decode(Buffer.from('b6abc3c5c2b7bfdad2bbbac5', 'hex'), 'GB18030');
            const rare = iconv_lite_1.default.decode(Buffer.from('c86c', 'hex'), 'GB18030');
            (0, vitest_1.expect)(name).toBe('东门路口一号');
            (0, vitest_1.expect)(rare).toBe('萳');
            await h.db().channels.upsertMany(DEV, [{ channelId: gbId('131', 77), name, address: `${rare}溪路`, raw: { Name: name } }]);
            const row = await h.db().channels.findOne(DEV, gbId('131', 77));
            (0, vitest_1.expect)(row).toMatchObject({ name: '东门路口一号', address: '萳溪路', raw: { Name: '东门路口一号' } });
            (0, vitest_1.expect)(iconv_lite_1.default.encode(row.name, 'GB18030').toString('hex')).toBe('b6abc3c5c2b7bfdad2bbbac5');
        });
        (0, vitest_1.it)('upsertMany() adds and updates, deleteMany() removes and reports how many existed', async () => {
            const { channels } = h.db();
            await channels.upsertMany(DEV, [{ channelId: gbId('131', 78), status: 'ON' }, { ...tree[5], status: 'ON' }]);
            (0, vitest_1.expect)((await channels.findOne(DEV, tree[5].channelId))?.status).toBe('ON');
            (0, vitest_1.expect)(await channels.countByDevice(DEV)).toBe(8);
            (0, vitest_1.expect)(await channels.deleteMany(DEV, [gbId('131', 77), gbId('131', 78), gbId('131', 79)])).toBe(2);
            (0, vitest_1.expect)(await channels.countByDevice(DEV)).toBe(6);
        });
        (0, vitest_1.it)('replaceForDevice() and upsertMany() for an unknown device fail with DEVICE_NOT_FOUND', async () => {
            const ghost = gbId('118', 4_040_404);
            await expectCode(h.db().channels.replaceForDevice(ghost, tree, { complete: true }), 'DEVICE_NOT_FOUND');
            await expectCode(h.db().channels.upsertMany(ghost, tree), 'DEVICE_NOT_FOUND');
        });
        (0, vitest_1.it)('replaceForDevice() of 20,000 channels stores all of them in one transaction', async () => {
            const big = gbId('118', 20_000);
            await h.db().devices.upsertRegistration(registration(big));
            const items = Array.from({ length: 20_000 }, (_, i) => ({
                channelId: gbId('131', 100_000 + i),
                name: `东门路口${i}号`,
                parentId: gbId('216', 1 + (i % 50)),
                civilCode: '340201',
                status: i % 7 ? 'ON' : 'OFF',
            }));
            const spy = vitest_1.vi.spyOn(h.db().dataSource, 'transaction');
            (0, vitest_1.expect)(await h.db().channels.replaceForDevice(big, items, { complete: true })).toBe(20_000);
            (0, vitest_1.expect)(spy).toHaveBeenCalledTimes(1);
            spy.mockRestore();
            const last = await h.db().channels.findOne(big, gbId('131', 119_999));
            (0, vitest_1.expect)(last).toMatchObject({ name: '东门路口19999号', parentId: gbId('216', 50), status: 'OFF' }); // 19999 % 7 === 0
            // Replacing with the first half removes the other half.
            (0, vitest_1.expect)(await h.db().channels.replaceForDevice(big, items.slice(0, 10_000), { complete: true })).toBe(10_000);
        }, 120_000);
    });
    (0, vitest_1.describe)(`${backend}: DeviceSettingsRepository`, () => {
        (0, vitest_1.it)('get() of a device without stored settings returns the defaults', async () => {
            (0, vitest_1.expect)(await h.db().settings.get(DEV)).toEqual({
                deviceId: DEV,
                password: null,
                charset: 'auto',
                streamTransport: 'tcp-passive',
            });
        });
        (0, vitest_1.it)('update() stores a patch, keeps unpatched fields, and password null clears the password', async () => {
            const { settings } = h.db();
            (0, vitest_1.expect)(await settings.update(DEV, { password: 's3cret', charset: 'GB2312' })).toEqual({
                deviceId: DEV,
                password: 's3cret',
                charset: 'GB2312',
                streamTransport: 'tcp-passive',
            });
            (0, vitest_1.expect)(await settings.update(DEV, { streamTransport: 'udp' })).toMatchObject({ password: 's3cret', charset: 'GB2312' });
            (0, vitest_1.expect)(await settings.update(DEV, { password: null })).toMatchObject({ password: null, streamTransport: 'udp' });
            (0, vitest_1.expect)(await settings.get(DEV)).toEqual({ deviceId: DEV, password: null, charset: 'GB2312', streamTransport: 'udp' });
        });
        (0, vitest_1.it)('getMany() lists stored rows, or with ids fills in defaults for devices without a row', async () => {
            const { settings } = h.db();
            const other = gbId('132', 5);
            (0, vitest_1.expect)((await settings.getMany()).map((s) => s.deviceId)).toEqual([DEV]);
            (0, vitest_1.expect)(await settings.getMany([other, DEV])).toEqual([
                { deviceId: other, password: null, charset: 'auto', streamTransport: 'tcp-passive' },
                { deviceId: DEV, password: null, charset: 'GB2312', streamTransport: 'udp' },
            ]);
        });
        (0, vitest_1.it)('update() for an unknown device fails with DEVICE_NOT_FOUND; an unknown charset is refused', async () => {
            await expectCode(h.db().settings.update(gbId('132', 6), { charset: 'GBK' }), 'DEVICE_NOT_FOUND');
            await (0, vitest_1.expect)(h.db().settings.update(DEV, { charset: 'latin1' })).rejects.toThrow(/chk_device_settings_charset/);
        });
    });
    (0, vitest_1.describe)(`${backend}: SecretRepository`, () => {
        (0, vitest_1.it)('getOrCreate() calls make() once and then returns the stored value; set() overwrites', async () => {
            const { secrets } = h.db();
            (0, vitest_1.expect)(await secrets.get('jwt_secret')).toBeNull();
            const make = vitest_1.vi.fn(() => 'first-secret');
            (0, vitest_1.expect)(await secrets.getOrCreate('jwt_secret', make)).toBe('first-secret');
            (0, vitest_1.expect)(await secrets.getOrCreate('jwt_secret', () => 'second-secret')).toBe('first-secret');
            (0, vitest_1.expect)(make).toHaveBeenCalledTimes(1);
            await secrets.set('jwt_secret', 'rotated');
            (0, vitest_1.expect)(await secrets.get('jwt_secret')).toBe('rotated');
        });
    });
    (0, vitest_1.describe)(`${backend}: lifecycle`, () => {
        (0, vitest_1.it)('close() then reopen keeps every row and does not run the migration again', async () => {
            const before = await h.db().channels.countByDevice(DEV);
            const db = await h.reopen();
            (0, vitest_1.expect)(await db.channels.countByDevice(DEV)).toBe(before);
            (0, vitest_1.expect)((await db.devices.findById(DEV))?.manufacturer).toBe('Hikvision');
            (0, vitest_1.expect)(await db.settings.get(DEV)).toMatchObject({ charset: 'GB2312', streamTransport: 'udp' });
            (0, vitest_1.expect)(await db.secrets.get('jwt_secret')).toBe('rotated');
            (0, vitest_1.expect)(await db.dataSource.query(`SELECT count(*)::int AS n FROM migrations`)).toEqual([{ n: 1 }]);
        });
        (0, vitest_1.it)('devices.delete() removes the device with its channels and settings (ON DELETE CASCADE)', async () => {
            const { devices, channels, dataSource } = h.db();
            (0, vitest_1.expect)(await channels.countByDevice(DEV)).toBeGreaterThan(0);
            await devices.delete(DEV);
            (0, vitest_1.expect)(await devices.findById(DEV)).toBeNull();
            (0, vitest_1.expect)(await channels.countByDevice(DEV)).toBe(0);
            (0, vitest_1.expect)(await dataSource.query(`SELECT count(*)::int AS n FROM device_settings WHERE device_id = $1`, [DEV])).toEqual([
                { n: 0 },
            ]);
        });
        (0, vitest_1.it)('close() twice resolves both times and leaves the data source destroyed', async () => {
            const db = h.db();
            await db.close();
            await db.close();
            (0, vitest_1.expect)(db.dataSource.isInitialized).toBe(false);
        });
    });
}
//# sourceMappingURL=repository.contract.js.map