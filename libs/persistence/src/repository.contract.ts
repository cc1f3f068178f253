/**
 * The repository suite, run against every backend: embedded PGlite (database-embedded.spec.ts)
 * and a real PostgreSQL server (database-postgres.spec.ts).
 */
import iconv from 'iconv-lite';
import { describe, expect, it, vi } from 'vitest';
import { MIGRATIONS, type Database } from './open-database';
import { MAX_AUDIT_LISTED } from './repositories/audit.repository';
import { type ChannelRow } from './repositories/channel.repository';
import { LIVENESS_CHUNK_ROWS, UPSERT_CHUNK_ROWS, type DeviceRegistration } from './repositories/device.repository';

export interface BackendHandle {
  /** The currently open database. */
  db(): Database;
  /** Closes the current database and opens the same storage again. */
  reopen(): Promise<Database>;
}

const DEV = '34020000001320000001';

export function registration(deviceId: string, extra: Partial<DeviceRegistration> = {}): DeviceRegistration {
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
function gbId(type: string, n: number): string {
  return `3402000000${type}${String(n).padStart(7, '0')}`;
}

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toMatchObject({ name: 'PersistenceError', code });
}

export function describeRepositoryContract(backend: string, h: BackendHandle): void {
  describe(`${backend}: schema`, () => {
    it('openDatabase() on an empty database creates every table through the migrations, in order', async () => {
      const rows = (await h.db().dataSource.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
      )) as Array<{ table_name: string }>;
      expect(rows.map((r) => r.table_name)).toEqual([
        'alerts', 'api_keys', 'app_secrets', 'audit_log', 'channel_positions', 'channels', 'congestion_samples', 'device_alarms', 'device_settings', 'device_subscription_settings', 'devices', 'exclusion_zones', 'map_plans', 'map_positions', 'map_settings', 'migrations', 'nodes', 'platforms', 'record_plans', 'record_segments', 'rois', 'stream_proxies', 'users', 'watches',
      ]);
      const applied = (await h.db().dataSource.query(`SELECT name FROM migrations ORDER BY id`)) as Array<{ name: string }>;
      expect(applied.map((r) => r.name)).toEqual(['InitialSchema1795824000000', 'Congestion1795910400000', 'Watches1795996800000', 'Nodes1796083200000', 'Users1796169600000', 'AlertAckComment1796256000000', 'Map1796342400000', 'ExclusionZones1796428800000', 'AlertWarnedAt1796515200000', 'Platforms1796601600000', 'ChannelKinds1796688000000', 'StreamProxies1796774400000', 'StreamProxyPush1796864400000', 'Recordings1796947200000', 'DeviceEvents1797033600000', 'DeviceSubscriptionSettings1797120000000']);
    });

    it('the hand-written migration and the entity decorators describe the same schema (no pending change)', async () => {
      const pending = await h.db().dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    });
  });

  describe(`${backend}: DeviceRepository`, () => {
    it('upsertRegistration() inserts a new device, then updates only the given columns', async () => {
      const { devices } = h.db();
      await devices.upsertRegistration(registration(DEV, { name: 'Gate NVR' }));
      const first = await devices.findById(DEV);
      expect(first).toMatchObject({ deviceId: DEV, name: 'Gate NVR', transport: 'udp', remotePort: 5060, online: true });
      expect(first?.registeredAt?.toISOString()).toBe('2026-11-28T08:00:00.000Z');
      expect(first?.channelCount).toBe(0);

      await devices.upsertRegistration({ deviceId: DEV, transport: 'tcp', remoteHost: '10.0.0.9', remotePort: 15060 });
      const second = await devices.findById(DEV);
      expect(second).toMatchObject({ transport: 'tcp', remoteHost: '10.0.0.9', remotePort: 15060, name: 'Gate NVR' });
      expect(second?.createdAt.getTime()).toBe(first?.createdAt.getTime());
      expect(second!.updatedAt.getTime()).toBeGreaterThanOrEqual(first!.updatedAt.getTime());
    });

    it('findByIds() returns the rows of the given devices that exist, in one query', async () => {
      const { devices } = h.db();
      const other = gbId('132', 9_000_101);
      await devices.upsertRegistration(registration(other));
      const rows = await devices.findByIds([DEV, other, gbId('132', 9_000_102)]);
      expect(rows.map((r) => r.deviceId).sort()).toEqual([DEV, other].sort());
      expect(await devices.findByIds([])).toEqual([]);
      await devices.delete(other);
    });

    it('upsertRegistration() of an unknown device without an address fails with MISSING_COLUMN', async () => {
      await expectCode(h.db().devices.upsertRegistration({ deviceId: gbId('132', 9_000_001), online: true }), 'MISSING_COLUMN');
    });

    it('upsertRegistration() with a property that is not a column fails with UNKNOWN_COLUMN', async () => {
      const bad = { ...registration(DEV), colour: 'red' } as DeviceRegistration;
      await expectCode(h.db().devices.upsertRegistration(bad), 'UNKNOWN_COLUMN');
    });

    it('updateInfo(), setChannelCount() and markOffline() change just their columns', async () => {
      const { devices } = h.db();
      await devices.updateInfo(DEV, { manufacturer: 'Hikvision', model: 'DS-7608', firmware: 'V4.1' });
      await devices.setChannelCount(DEV, 8, new Date('2026-11-28T08:05:00.000Z'));
      await devices.markOffline([DEV, gbId('132', 9_999_999)]);
      const d = await devices.findById(DEV);
      expect(d).toMatchObject({ manufacturer: 'Hikvision', model: 'DS-7608', firmware: 'V4.1', name: 'Gate NVR' });
      expect(d).toMatchObject({ channelCount: 8, online: false });
      expect(d?.catalogSyncedAt?.toISOString()).toBe('2026-11-28T08:05:00.000Z');
    });

    it('flushLiveness() of 5000 rows writes them in one statement per LIVENESS_CHUNK_ROWS rows', async () => {
      const ds = h.db().dataSource;
      await ds.query(
        `INSERT INTO devices (device_id, transport, remote_host, remote_port, local_host, local_port)
         SELECT '34020000001329' || lpad(i::text, 6, '0'), 'udp', '10.1.0.1', 5060, '10.1.0.2', 5060
         FROM generate_series(1, 5000) AS i`,
      );
      const base = Date.UTC(2026, 10, 28, 10, 0, 0);
      const rows = Array.from({ length: 5000 }, (_, i) => ({
        deviceId: `34020000001329${String(i + 1).padStart(6, '0')}`,
        lastKeepaliveAt: new Date(base + i * 1000),
        online: i % 3 !== 0,
        ...(i === 43 ? { remoteHost: '10.9.9.9', remotePort: 6060, transport: 'tcp' } : {}),
      }));
      const spy = vi.spyOn(ds, 'query');
      try {
        await h.db().devices.flushLiveness(rows);
        expect(spy).toHaveBeenCalledTimes(Math.ceil(5000 / LIVENESS_CHUNK_ROWS));
      } finally {
        spy.mockRestore();
      }
      const [stats] = (await ds.query(
        `SELECT count(*) FILTER (WHERE online)::int AS online, count(last_keepalive_at)::int AS seen,
                max(last_keepalive_at) AS latest
         FROM devices WHERE device_id LIKE '34020000001329%'`,
      )) as Array<{ online: number; seen: number; latest: Date }>;
      expect(stats.online).toBe(rows.filter((r) => r.online).length);
      expect(stats.seen).toBe(5000);
      expect(stats.latest.getTime()).toBe(base + 4999 * 1000);
      expect(await h.db().devices.findById(rows[43].deviceId)).toMatchObject({
        remoteHost: '10.9.9.9',
        remotePort: 6060,
        transport: 'tcp',
        online: true,
      });
      expect(await h.db().devices.findById(rows[44].deviceId)).toMatchObject({ remoteHost: '10.1.0.1', remotePort: 5060 });
    });

    it('flushLiveness() with a device listed twice keeps the last row and ignores unknown ids', async () => {
      const { devices } = h.db();
      await devices.flushLiveness([
        { deviceId: DEV, lastKeepaliveAt: new Date('2026-11-28T11:00:00.000Z'), online: false },
        { deviceId: gbId('132', 8_888_888), lastKeepaliveAt: new Date(), online: true },
        { deviceId: DEV, lastKeepaliveAt: new Date('2026-11-28T11:00:30.000Z'), online: true },
      ]);
      const d = await devices.findById(DEV);
      expect(d?.online).toBe(true);
      expect(d?.lastKeepaliveAt?.toISOString()).toBe('2026-11-28T11:00:30.000Z');
      expect(await devices.findById(gbId('132', 8_888_888))).toBeNull();
    });
    it('upsertMany() of 1200 whole rows inserts new and overwrites known devices, UPSERT_CHUNK_ROWS per statement', async () => {
      const { devices, dataSource } = h.db();
      const rows = Array.from({ length: 1200 }, (_, i) =>
        registration(gbId('134', i), { name: `NVR ${i}`, online: i % 2 === 0, channelCount: i, lastKeepaliveAt: null }),
      );
      await devices.upsertRegistration(registration(gbId('134', 7), { name: 'old name', manufacturer: 'Dahua' }));
      const spy = vi.spyOn(dataSource, 'query');
      try {
        await devices.upsertMany([...rows, { ...rows[5], name: 'NVR 5 (last copy wins)' }]);
        expect(spy).toHaveBeenCalledTimes(Math.ceil(1200 / UPSERT_CHUNK_ROWS));
      } finally {
        spy.mockRestore();
      }
      expect(await devices.findById(gbId('134', 7))).toMatchObject({ name: 'NVR 7', online: false, channelCount: 7, manufacturer: 'Dahua' });
      expect((await devices.findById(gbId('134', 5)))?.name).toBe('NVR 5 (last copy wins)');
      expect(await dataSource.query(`SELECT count(*)::int AS n FROM devices WHERE device_id LIKE '3402000000134%'`)).toEqual([
        { n: 1200 },
      ]);
    });

    it('upsertMany() stores the column default for a null NOT NULL column and refuses rows without an address', async () => {
      const { devices } = h.db();
      const id = gbId('134', 5000);
      await devices.upsertMany([{ ...registration(id), expires: null as unknown as number, online: undefined }]);
      expect(await devices.findById(id)).toMatchObject({ expires: 3600, online: false });
      await expectCode(devices.upsertMany([{ deviceId: gbId('134', 5001), online: true }]), 'MISSING_COLUMN');
    });
  });

  describe(`${backend}: ChannelRepository`, () => {
    // A civil-code tree (GB/T 28181-2016 §A.2.4.5): province 34 > city 3402 > business group > virtual org > cameras.
    const tree: ChannelRow[] = [
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

    it('replaceForDevice() stores a catalog tree and listByDevice() returns it with parent ids', async () => {
      const { channels } = h.db();
      expect(await channels.replaceForDevice(DEV, tree, { complete: true })).toBe(6);
      const rows = await channels.listByDevice(DEV);
      expect(rows.map((r) => r.channelId)).toEqual(tree.map((r) => r.channelId).sort());
      const cams = rows.filter((r) => r.parentId === gbId('216', 1));
      expect(cams).toHaveLength(3);
      expect(cams[0]).toMatchObject({ name: '摄像机1', status: 'ON', port: 8000, ptzType: 1, latitude: 31.82 });
      expect(cams[0].longitude).toBeCloseTo(117.228, 9);
      expect(cams[0].raw).toEqual({ DeviceID: gbId('131', 1), Info: { PTZType: '1' } });
      const children = (await h.db().dataSource.query(
        `SELECT channel_id FROM channels WHERE device_id = $1 AND parent_id = $2`,
        [DEV, gbId('215', 1)],
      )) as Array<{ channel_id: string }>;
      expect(children.map((r) => r.channel_id)).toEqual([gbId('216', 1)]);
      expect(await channels.countByDevice(DEV)).toBe(6);
    });

    it('replaceForDevice() with complete=false keeps rows it was not given; complete=true deletes them', async () => {
      const { channels } = h.db();
      const renamed = { ...tree[3], name: '摄像机1-改' };
      expect(await channels.replaceForDevice(DEV, [renamed], { complete: false })).toBe(6);
      expect((await channels.findOne(DEV, renamed.channelId))?.name).toBe('摄像机1-改');
      expect(await channels.replaceForDevice(DEV, tree.slice(0, 4), { complete: true })).toBe(4);
      expect(await channels.findOne(DEV, gbId('131', 3))).toBeNull();
      expect(await channels.replaceForDevice(DEV, tree, { complete: true })).toBe(6);
    });

    it('replaceForDevice() with the same channel twice stores the last one', async () => {
      const { channels } = h.db();
      const twice = [...tree, { ...tree[4], name: 'second copy' }];
      expect(await channels.replaceForDevice(DEV, twice, { complete: true })).toBe(6);
      expect((await channels.findOne(DEV, tree[4].channelId))?.name).toBe('second copy');
    });

    it('names decoded from GB2312/GBK bytes (东门路口一号, 萳) are stored and read back unchanged', async () => {
      // What a device declaring encoding="GB2312" sends; 萳 (C8 6C) is a GBK extension such devices use anyway.
      const name = iconv.decode(Buffer.from('b6abc3c5c2b7bfdad2bbbac5', 'hex'), 'GB18030');
      const rare = iconv.decode(Buffer.from('c86c', 'hex'), 'GB18030');
      expect(name).toBe('东门路口一号');
      expect(rare).toBe('萳');
      await h.db().channels.upsertMany(DEV, [{ channelId: gbId('131', 77), name, address: `${rare}溪路`, raw: { Name: name } }]);
      const row = await h.db().channels.findOne(DEV, gbId('131', 77));
      expect(row).toMatchObject({ name: '东门路口一号', address: '萳溪路', raw: { Name: '东门路口一号' } });
      expect(iconv.encode(row!.name!, 'GB18030').toString('hex')).toBe('b6abc3c5c2b7bfdad2bbbac5');
    });

    it('upsertMany() adds and updates, deleteMany() removes and reports how many existed', async () => {
      const { channels } = h.db();
      await channels.upsertMany(DEV, [{ channelId: gbId('131', 78), status: 'ON' }, { ...tree[5], status: 'ON' }]);
      expect((await channels.findOne(DEV, tree[5].channelId))?.status).toBe('ON');
      expect(await channels.countByDevice(DEV)).toBe(8);
      expect(await channels.deleteMany(DEV, [gbId('131', 77), gbId('131', 78), gbId('131', 79)])).toBe(2);
      expect(await channels.countByDevice(DEV)).toBe(6);
    });

    it('replaceForDevice() and upsertMany() for an unknown device fail with DEVICE_NOT_FOUND', async () => {
      const ghost = gbId('118', 4_040_404);
      await expectCode(h.db().channels.replaceForDevice(ghost, tree, { complete: true }), 'DEVICE_NOT_FOUND');
      await expectCode(h.db().channels.upsertMany(ghost, tree), 'DEVICE_NOT_FOUND');
    });

    it('replaceCatalogs() writes many devices in one transaction: complete deletes the rest, incomplete keeps it, unknown devices are skipped', async () => {
      const { channels, devices, dataSource } = h.db();
      const a = gbId('118', 7001);
      const b = gbId('118', 7002);
      const ghost = gbId('118', 7003);
      await devices.upsertRegistration(registration(a));
      await devices.upsertRegistration(registration(b));
      await channels.replaceForDevice(b, tree, { complete: true });
      const spy = vi.spyOn(dataSource, 'transaction');
      const counts = await channels.replaceCatalogs([
        { deviceId: a, items: [...tree.slice(0, 3), { ...tree[2], name: 'last copy' }], complete: true },
        { deviceId: b, items: [{ ...tree[3], name: '摄像机1-改' }], complete: false },
        { deviceId: ghost, items: tree, complete: true },
      ]);
      expect(spy).toHaveBeenCalledTimes(1);
      spy.mockRestore();
      expect(counts).toEqual(new Map([[a, 3], [b, 6]]));
      const rows = await devices.findAll();
      expect(rows.filter((r) => r.deviceId === a || r.deviceId === b).map((r) => [r.deviceId, r.channelCount, r.catalogSyncedAt !== null])).toEqual([[a, 3, true], [b, 6, true]]);
      expect((await channels.findOne(a, tree[2].channelId))?.name).toBe('last copy');
      expect((await channels.findOne(b, tree[3].channelId))?.name).toBe('摄像机1-改');
      expect(await channels.countByDevice(ghost)).toBe(0);
      // Complete with fewer items deletes the others of that device only; an empty complete catalog empties it.
      expect(await channels.replaceCatalogs([{ deviceId: b, items: tree.slice(0, 2), complete: true }, { deviceId: a, items: [], complete: true }])).toEqual(new Map([[a, 0], [b, 2]]));
      expect(await channels.countByDevice(DEV)).toBeGreaterThan(0);
      await expectCode(channels.replaceCatalogs([{ deviceId: a, items: [], complete: true }, { deviceId: a, items: [], complete: false }]), 'INVALID_ARGUMENT');
      expect(await channels.replaceCatalogs([])).toEqual(new Map());
    });

    it(
      'replaceForDevice() of 20,000 channels stores all of them in one transaction',
      async () => {
        const big = gbId('118', 20_000);
        await h.db().devices.upsertRegistration(registration(big));
        const items: ChannelRow[] = Array.from({ length: 20_000 }, (_, i) => ({
          channelId: gbId('131', 100_000 + i),
          name: `东门路口${i}号`,
          parentId: gbId('216', 1 + (i % 50)),
          civilCode: '340201',
          status: i % 7 ? 'ON' : 'OFF',
        }));
        const spy = vi.spyOn(h.db().dataSource, 'transaction');
        expect(await h.db().channels.replaceForDevice(big, items, { complete: true })).toBe(20_000);
        expect(spy).toHaveBeenCalledTimes(1);
        spy.mockRestore();
        const last = await h.db().channels.findOne(big, gbId('131', 119_999));
        expect(last).toMatchObject({ name: '东门路口19999号', parentId: gbId('216', 50), status: 'OFF' }); // 19999 % 7 === 0
        // Replacing with the first half removes the other half.
        expect(await h.db().channels.replaceForDevice(big, items.slice(0, 10_000), { complete: true })).toBe(10_000);
      },
      120_000,
    );
  });

  describe(`${backend}: DeviceSettingsRepository`, () => {
    it('get() of a device without stored settings returns the defaults', async () => {
      expect(await h.db().settings.get(DEV)).toEqual({
        deviceId: DEV,
        password: null,
        charset: 'auto',
        streamTransport: 'tcp-passive',
      });
    });

    it('update() stores a patch, keeps unpatched fields, and password null clears the password', async () => {
      const { settings } = h.db();
      expect(await settings.update(DEV, { password: 's3cret', charset: 'GB2312' })).toEqual({
        deviceId: DEV,
        password: 's3cret',
        charset: 'GB2312',
        streamTransport: 'tcp-passive',
      });
      expect(await settings.update(DEV, { streamTransport: 'udp' })).toMatchObject({ password: 's3cret', charset: 'GB2312' });
      expect(await settings.update(DEV, { password: null })).toMatchObject({ password: null, streamTransport: 'udp' });
      expect(await settings.get(DEV)).toEqual({ deviceId: DEV, password: null, charset: 'GB2312', streamTransport: 'udp' });
    });

    it('getMany() lists stored rows, or with ids fills in defaults for devices without a row', async () => {
      const { settings } = h.db();
      const other = gbId('132', 5);
      expect((await settings.getMany()).map((s) => s.deviceId)).toEqual([DEV]);
      expect(await settings.getMany([other, DEV])).toEqual([
        { deviceId: other, password: null, charset: 'auto', streamTransport: 'tcp-passive' },
        { deviceId: DEV, password: null, charset: 'GB2312', streamTransport: 'udp' },
      ]);
    });

    it('update() for an unknown device fails with DEVICE_NOT_FOUND; an unknown charset is refused', async () => {
      await expectCode(h.db().settings.update(gbId('132', 6), { charset: 'GBK' }), 'DEVICE_NOT_FOUND');
      await expect(h.db().settings.update(DEV, { charset: 'latin1' as 'GBK' })).rejects.toThrow(/chk_device_settings_charset/);
    });
  });

  describe(`${backend}: SecretRepository`, () => {
    it('getOrCreate() calls make() once and then returns the stored value; set() overwrites', async () => {
      const { secrets } = h.db();
      expect(await secrets.get('jwt_secret')).toBeNull();
      const make = vi.fn(() => 'first-secret');
      expect(await secrets.getOrCreate('jwt_secret', make)).toBe('first-secret');
      expect(await secrets.getOrCreate('jwt_secret', () => 'second-secret')).toBe('first-secret');
      expect(make).toHaveBeenCalledTimes(1);
      await secrets.set('jwt_secret', 'rotated');
      expect(await secrets.get('jwt_secret')).toBe('rotated');
    });
  });

  describe(`${backend}: several nodes (nodes, device owners, watch leases, alert nodes)`, () => {
    const A = 'node-a';
    const B = 'node-b';
    const hb = (nodeId: string) => ({ nodeId, publicUrl: `http://${nodeId}:8080`, sipAddress: '10.0.0.1:5060', mediaIp: null, devices: 1, streams: 2, cpu: 0.5 });

    it('nodes: start and heartbeat upsert one row; list() judges alive by the database clock', async () => {
      const { nodes, dataSource } = h.db();
      await nodes.start(hb(A));
      await nodes.heartbeat({ ...hb(A), devices: 7 });
      await nodes.start(hb(B));
      await dataSource.query(`UPDATE nodes SET heartbeat_at = now() - interval '1 hour' WHERE node_id = $1`, [B]);
      const list = await nodes.list(10_000);
      expect(list.map((n) => [n.nodeId, n.alive, n.devices])).toEqual([[A, true, 7], [B, false, 1]]);
      expect(list[0]).toMatchObject({ publicUrl: 'http://node-a:8080', streams: 2, cpu: 0.5 });
    });

    it('claim() takes devices whoever held them and reports the previous owner; unknown ids are skipped', async () => {
      const { devices } = h.db();
      const d1 = gbId('132', 8_100_001);
      const d2 = gbId('132', 8_100_002);
      await devices.upsertMany([registration(d1, { ownerNode: A }), registration(d2, { ownerNode: null })]);
      const claims = await devices.claim([d1, d2, gbId('132', 8_100_999)], B);
      expect(claims.sort((x, y) => x.deviceId.localeCompare(y.deviceId))).toEqual([{ deviceId: d1, previousOwner: A }, { deviceId: d2, previousOwner: null }]);
      expect((await devices.findOwnedBy(B)).map((d) => d.deviceId)).toEqual([d1, d2]);
    });

    it('a write-behind from the old owner changes nothing once another node claimed the device', async () => {
      const { devices } = h.db();
      const d1 = gbId('132', 8_100_001);
      // Node A still thinks it owns d1: its whole-row upsert and its liveness flush are both refused.
      await devices.upsertMany([registration(d1, { ownerNode: A, online: false, remoteHost: '10.6.6.6' })]);
      await devices.flushLiveness([{ deviceId: d1, lastKeepaliveAt: new Date(), online: false }], A);
      expect(await devices.findById(d1)).toMatchObject({ ownerNode: B, online: true, remoteHost: '192.168.1.64' });
      // The owner's writes land, lease included.
      const lease = new Date('2026-12-01T00:03:00.000Z');
      await devices.flushLiveness([{ deviceId: d1, lastKeepaliveAt: new Date('2026-12-01T00:00:00.000Z'), online: true, leaseUntil: lease }], B);
      expect((await devices.findById(d1))?.leaseUntil?.toISOString()).toBe(lease.toISOString());
    });

    it('adoptOrphans() takes devices of dead or unknown nodes (offline) and leaves those of live nodes', async () => {
      const { devices, nodes, dataSource } = h.db();
      const live = gbId('132', 8_200_001);
      const dead = gbId('132', 8_200_002);
      const ghost = gbId('132', 8_200_003);
      await nodes.heartbeat(hb(A));
      await devices.upsertMany([registration(live, { ownerNode: A }), registration(dead, { ownerNode: B }), registration(ghost, { ownerNode: 'never-seen' })]);
      const taken = await devices.adoptOrphans('node-c', 10_000);
      const mine = taken.map((d) => d.deviceId);
      expect(mine).toEqual(expect.arrayContaining([dead, ghost]));
      expect(mine).not.toContain(live);
      expect(taken.every((d) => d.ownerNode === 'node-c' && !d.online)).toBe(true);
      expect(await devices.ownedElsewhere([live, dead, gbId('132', 8_299_999)], 'node-c')).toEqual(new Map([[live, A], [gbId('132', 8_299_999), null]]));
      await dataSource.query(`DELETE FROM devices WHERE device_id = ANY($1::varchar[])`, [[live, dead, ghost]]);
    });

    it('watches: claimForOwner() takes free and expired watches of owned devices only, renews its own; release() frees them', async () => {
      const { devices, watches, dataSource } = h.db();
      const mine = gbId('132', 8_300_001);
      const theirs = gbId('132', 8_300_002);
      await devices.upsertMany([registration(mine, { ownerNode: A }), registration(theirs, { ownerNode: B })]);
      await watches.add('ch-mine-1', mine);
      await watches.add('ch-mine-2', mine, new Date(), { node: B, leaseMs: 60_000 });
      await watches.add('ch-theirs', theirs);
      expect((await watches.claimForOwner(A, 5000, 10)).map((w) => w.channelId)).toEqual(['ch-mine-1']);
      // B's lease on ch-mine-2 runs out: A takes it over; A's own lease is renewed.
      await dataSource.query(`UPDATE watches SET lease_until = now() - interval '1 second' WHERE channel_id = 'ch-mine-2'`);
      const again = await watches.claimForOwner(A, 5000, 10);
      expect(again.map((w) => [w.channelId, w.nodeId]).sort()).toEqual([['ch-mine-1', A], ['ch-mine-2', A]]);
      expect(await watches.claimForOwner(A, 5000, 1)).toHaveLength(1);
      await watches.release(A, ['ch-mine-1']);
      expect((await watches.list()).find((w) => w.channelId === 'ch-mine-1')).toMatchObject({ nodeId: null, leaseUntil: null });
      for (const c of ['ch-mine-1', 'ch-mine-2', 'ch-theirs']) await watches.remove(c);
    });

    it('alerts: listActive(node) returns that node\'s active alerts and those without a node', async () => {
      const { alerts } = h.db();
      const base = { channelId: 'ch-x', deviceId: DEV, roiId: 'frame', level: 'heavy', peakIndex: 70, raisedAt: new Date(), snapshotFile: null };
      const a = await alerts.create({ ...base, nodeId: A });
      const b = await alerts.create({ ...base, nodeId: B });
      const legacy = await alerts.create(base);
      const ids = (await alerts.listActive(A)).map((r) => r.id);
      expect(ids).toEqual(expect.arrayContaining([a.id, legacy.id]));
      expect(ids).not.toContain(b.id);
      for (const r of [a, b, legacy]) await alerts.update(r.id, { state: 'cleared', clearedAt: new Date() });
    });
  });

  describe(`${backend}: users, API keys, audit log`, () => {
    const hash = 'scrypt$32768$8$1$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5';

    it('users: create() refuses a taken name; list() by name never drops the hash; put() overwrites hash and role', async () => {
      const { users } = h.db();
      expect(await users.create({ username: 'carol', passwordHash: hash, role: 'admin' })).toBe(true);
      expect(await users.create({ username: 'carol', passwordHash: 'other', role: 'viewer' })).toBe(false);
      expect(await users.create({ username: 'bob', passwordHash: hash, role: 'viewer' })).toBe(true);
      expect((await users.list()).map((u) => [u.username, u.role])).toEqual([['bob', 'viewer'], ['carol', 'admin']]);
      await users.put({ username: 'bob', passwordHash: 'scrypt$new', role: 'operator' });
      expect(await users.get('bob')).toMatchObject({ passwordHash: 'scrypt$new', role: 'operator' });
      expect(await users.count()).toBe(2);
      await expect(users.create({ username: 'eve', passwordHash: hash, role: 'root' })).rejects.toThrow(/chk_users_role/);
    });

    it('users: the guarded update() and delete() refuse to demote or delete the last admin, and not another one', async () => {
      const { users } = h.db();
      const keep = { keepOneWithRole: 'admin' };
      expect(await users.update('carol', { role: 'viewer' }, keep)).toBe('last-of-role');
      expect(await users.delete('carol', keep)).toBe('last-of-role');
      expect(await users.update('carol', { passwordHash: 'scrypt$x' }, keep)).toBe('ok');
      expect(await users.update('nobody', { role: 'viewer' }, keep)).toBe('not-found');
      expect(await users.delete('bob', keep)).toBe('ok');
      expect(await users.delete('bob', keep)).toBe('not-found');
      await users.create({ username: 'dave', passwordHash: hash, role: 'admin' });
      // Two deletes of the two admins at once: the row locks let one through.
      const both = await Promise.all([users.delete('carol', keep), users.delete('dave', keep)]);
      expect(both.sort()).toEqual(['last-of-role', 'ok']);
      expect(await users.count()).toBe(1);
      await h.db().dataSource.query(`DELETE FROM users`);
    });

    it('api keys: findByHash() finds a key, list() newest first, delete() revokes once; the hash is unique', async () => {
      const { apiKeys } = h.db();
      const a = await apiKeys.create({ name: 'vms', role: 'viewer', keyHash: 'a'.repeat(64), keyPrefix: 'gbk_aaaa', createdBy: 'admin' });
      await new Promise((r) => setTimeout(r, 5));
      const b = await apiKeys.create({ name: 'ops', role: 'operator', keyHash: 'b'.repeat(64), keyPrefix: 'gbk_bbbb', createdBy: 'admin' });
      expect(await apiKeys.findByHash('a'.repeat(64))).toMatchObject({ id: a.id, name: 'vms', role: 'viewer' });
      expect((await apiKeys.list()).map((k) => k.id)).toEqual([b.id, a.id]);
      await expect(apiKeys.create({ name: 'dup', role: 'viewer', keyHash: 'a'.repeat(64), keyPrefix: 'gbk_aaaa', createdBy: 'admin' })).rejects.toThrow();
      expect((await apiKeys.delete(a.id))?.keyHash).toBe('a'.repeat(64));
      expect(await apiKeys.delete(a.id)).toBeNull();
      expect(await apiKeys.findByHash('a'.repeat(64))).toBeNull();
      await apiKeys.delete(b.id);
    });

    it('audit: append() of 1200 entries in chunks, list() newest first and bounded, deleteOlderThan() prunes', async () => {
      const { audit } = h.db();
      const t0 = Date.parse('2026-12-01T00:00:00.000Z');
      const entry = (i: number) => ({ at: new Date(t0 + i * 1000), actor: 'admin', role: 'admin', action: 'device.ptz', target: `d/${i}`, outcome: 'ok', detail: null, nodeId: 'node-a' });
      await audit.append(Array.from({ length: 1200 }, (_, i) => entry(i)));
      const newest = await audit.list(3);
      expect(newest.map((e) => e.target)).toEqual(['d/1199', 'd/1198', 'd/1197']);
      expect(await audit.list(5000)).toHaveLength(MAX_AUDIT_LISTED);
      expect(await audit.deleteOlderThan(new Date(t0 + 1000 * 1000))).toBe(1000);
      expect(await audit.list(1000)).toHaveLength(200);
      await audit.deleteOlderThan(new Date(t0 + 1e9));
    });
  });

  describe(`${backend}: MapRepository`, () => {
    it('putPlan() stores the image bytes (bytea) and getPlan() returns them unchanged; a second put replaces the plan', async () => {
      const { map } = h.db();
      expect(await map.getPlan()).toBeNull();
      const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0x80, 0x7f]);
      await map.putPlan({ contentType: 'image/png', width: 640, height: 480, data: bytes });
      const got = await map.getPlan();
      expect(got).toMatchObject({ contentType: 'image/png', width: 640, height: 480 });
      expect(got!.data.equals(bytes)).toBe(true);
      expect(await map.getPlanInfo()).toMatchObject({ bytes: bytes.length, width: 640 });
      await map.putPlan({ contentType: 'image/jpeg', width: 2, height: 3, data: Buffer.from([0xff, 0xd8, 0xff]) });
      expect(await map.getPlan()).toMatchObject({ contentType: 'image/jpeg', width: 2, height: 3 });
    });

    it('putSettings() stores the reference points as JSON and the tile URL; null clears them', async () => {
      const { map } = h.db();
      expect(await map.getSettings()).toBeNull();
      const ref = [{ px: [10, 20], lonlat: [120.15, 30.28] }, { px: [300, 400], lonlat: [120.16, 30.27] }];
      await map.putSettings({ planRef: ref, tileUrl: 'http://127.0.0.1:8081/{z}/{x}/{y}.png' });
      expect(await map.getSettings()).toMatchObject({ planRef: ref, tileUrl: 'http://127.0.0.1:8081/{z}/{x}/{y}.png' });
      await map.putSettings({ planRef: null, tileUrl: null });
      expect(await map.getSettings()).toMatchObject({ planRef: null, tileUrl: null });
    });

    it('putPosition() upserts one row per channel, listPositions() orders by channel, deletePosition() reports whether it existed', async () => {
      const { map } = h.db();
      await map.putPosition('ch-b', 10.5, 20.25);
      await map.putPosition('ch-a', 1, 2);
      await map.putPosition('ch-b', 11, 21);
      expect((await map.listPositions()).map((p) => [p.channelId, p.x, p.y])).toEqual([['ch-a', 1, 2], ['ch-b', 11, 21]]);
      expect(await map.countPositions()).toBe(2);
      expect(await map.deletePosition('ch-a')).toBe(true);
      expect(await map.deletePosition('ch-a')).toBe(false);
      await map.deletePosition('ch-b');
    });
  });

  describe(`${backend}: lifecycle`, () => {
    it('close() then reopen keeps every row and does not run the migration again', async () => {
      const before = await h.db().channels.countByDevice(DEV);
      const db = await h.reopen();
      expect(await db.channels.countByDevice(DEV)).toBe(before);
      expect((await db.devices.findById(DEV))?.manufacturer).toBe('Hikvision');
      expect(await db.settings.get(DEV)).toMatchObject({ charset: 'GB2312', streamTransport: 'udp' });
      expect(await db.secrets.get('jwt_secret')).toBe('rotated');
      expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM migrations`)).toEqual([{ n: MIGRATIONS.length }]);
    });

    it('devices.delete() removes the device with its channels and settings (ON DELETE CASCADE)', async () => {
      const { devices, channels, dataSource } = h.db();
      expect(await channels.countByDevice(DEV)).toBeGreaterThan(0);
      await devices.delete(DEV);
      expect(await devices.findById(DEV)).toBeNull();
      expect(await channels.countByDevice(DEV)).toBe(0);
      expect(await dataSource.query(`SELECT count(*)::int AS n FROM device_settings WHERE device_id = $1`, [DEV])).toEqual([
        { n: 0 },
      ]);
    });

    it('close() twice resolves both times and leaves the data source destroyed', async () => {
      const db = h.db();
      await db.close();
      await db.close();
      expect(db.dataSource.isInitialized).toBe(false);
    });
  });
}
