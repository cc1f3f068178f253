import type { DataSource, EntityManager, Repository } from 'typeorm';
import { ChannelEntity } from '../entities/channel.entity';
import { PersistenceError, PG_FOREIGN_KEY_VIOLATION, pgErrorCode } from '../persistence-error';
import { chunk, lastPerKey } from '../sql-columns';

/** The kind of a playable channel; every other kind is a directory node and is not counted (ChannelRow.kind). */
export const CHANNEL_KIND = 'channel';
/** SQL: the channels (not directories) of the device `d`. */
const COUNT_CHANNELS_OF_D = `SELECT count(*)::int FROM "channels" c WHERE c."device_id" = d."device_id" AND c."kind" = '${CHANNEL_KIND}'`;

/** Rows per INSERT statement when writing channels. */
export const CHANNEL_UPSERT_CHUNK_ROWS = 1000;

/** One catalog item as the gateway parsed it; absent fields are stored as NULL. */
export interface ChannelRow {
  channelId: string;
  name?: string | null;
  manufacturer?: string | null;
  model?: string | null;
  owner?: string | null;
  civilCode?: string | null;
  block?: string | null;
  address?: string | null;
  parental?: number | null;
  parentId?: string | null;
  businessGroupId?: string | null;
  /** What the item is (the gateway's catalogItemKind); default `channel`. Only `channel` rows are counted. */
  kind?: string;
  ipAddress?: string | null;
  port?: number | null;
  status?: string | null;
  longitude?: number | null;
  latitude?: number | null;
  ptzType?: number | null;
  raw?: Record<string, unknown> | null;
}

/**
 * Column order of the unnest() insert: [column, SQL array type, value of a row].
 * The whole chunk travels as one array per column, so a chunk is one statement with 20 parameters.
 */
const COLUMNS: ReadonlyArray<readonly [string, string, (r: ChannelRow) => unknown]> = [
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
  ['business_group_id', 'varchar[]', (r) => r.businessGroupId ?? null],
  ['kind', 'varchar[]', (r) => r.kind ?? CHANNEL_KIND],
  ['ip_address', 'varchar[]', (r) => r.ipAddress ?? null],
  ['port', 'int[]', (r) => r.port ?? null],
  ['status', 'varchar[]', (r) => r.status ?? null],
  ['longitude', 'float8[]', (r) => r.longitude ?? null],
  ['latitude', 'float8[]', (r) => r.latitude ?? null],
  ['ptz_type', 'int[]', (r) => r.ptzType ?? null],
  // jsonb travels as text: node-postgres would otherwise write nested arrays as SQL arrays.
  ['raw', 'text[]', (r) => (r.raw == null ? null : JSON.stringify(r.raw))],
];

/**
 * The channel upsert: one device (`$1` a device id) or many (`$1` an array of device ids beside the column arrays;
 * rows of devices without a row are skipped instead of failing the foreign key).
 */
function upsertSql(devices: 'one' | 'many'): string {
  const many = devices === 'many';
  return (
    `INSERT INTO "channels" ("device_id", ${COLUMNS.map(([c]) => `"${c}"`).join(', ')}, "updated_at") ` +
    `SELECT ${many ? 'v.device_id' : '$1'}, ${COLUMNS.map(([c]) => (c === 'raw' ? 'v.raw::jsonb' : `v.${c}`)).join(', ')}, now() ` +
    `FROM unnest(${many ? '$1::varchar[], ' : ''}${COLUMNS.map(([, type], i) => `$${i + 2}::${type}`).join(', ')}) ` +
    `AS v(${many ? 'device_id, ' : ''}${COLUMNS.map(([c]) => c).join(', ')}) ` +
    (many ? `WHERE EXISTS (SELECT 1 FROM "devices" d WHERE d."device_id" = v.device_id) ` : '') +
    `ON CONFLICT ("device_id", "channel_id") DO UPDATE SET ` +
    COLUMNS.filter(([c]) => c !== 'channel_id')
      .map(([c]) => `"${c}" = EXCLUDED."${c}"`)
      .concat('"updated_at" = now()')
      .join(', ')
  );
}

const UPSERT_SQL = upsertSql('one');
const UPSERT_MANY_DEVICES_SQL = upsertSql('many');
/**
 * Whole catalogs in one statement (every write complete, one chunk of rows): the upsert and the delete of the rows not
 * in them as data-modifying CTEs (disjoint rows; the upsert's `$1`/`$2` are the kept (device, channel) pairs), then the
 * devices' channel_count (counted from the items, `$${COLUMNS.length + 3}`) and catalog_synced_at. A registration
 * storm's catalogs cost one statement per batch instead of five (BEGIN, upsert, delete, count, COMMIT).
 */
const WHOLE_CATALOGS_SQL = (() => {
  const ids = COLUMNS.length + 2;
  return (
    `WITH ins AS (${UPSERT_MANY_DEVICES_SQL}), ` +
    `del AS (DELETE FROM "channels" c WHERE c."device_id" = ANY($${ids}::varchar[]) AND NOT EXISTS ` +
    `(SELECT 1 FROM unnest($1::varchar[], $2::varchar[]) AS k(d, ch) WHERE k.d = c."device_id" AND k.ch = c."channel_id")) ` +
    `UPDATE "devices" d SET "channel_count" = v.n, "catalog_synced_at" = $${ids + 2} FROM unnest($${ids}::varchar[], $${ids + 1}::int[]) AS v(id, n) ` +
    `WHERE d."device_id" = v.id RETURNING d."device_id" AS id, d."channel_count" AS n`
  );
})();

/** One device's catalog in a batch write. */
export interface CatalogWrite {
  deviceId: string;
  items: readonly ChannelRow[];
  /** Every item of the SumNum arrived: the device's rows not in `items` are deleted. */
  complete: boolean;
}

/** Channels table access. Thin: no business rules. */
export class ChannelRepository {
  private readonly repo: Repository<ChannelEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.repo = dataSource.getRepository(ChannelEntity);
  }

  listByDevice(deviceId: string): Promise<ChannelEntity[]> {
    return this.repo.find({ where: { deviceId }, order: { channelId: 'ASC' } });
  }

  findOne(deviceId: string, channelId: string): Promise<ChannelEntity | null> {
    return this.repo.findOneBy({ deviceId, channelId });
  }

  countByDevice(deviceId: string): Promise<number> {
    return this.repo.countBy({ deviceId });
  }

  /**
   * Channels of every device, ordered by device and channel ID, one page at a time, with the number of matches.
   * `search` matches the name or the channel ID, case-insensitively, as a substring (LIKE wildcards are literal).
   */
  async search(q: { search?: string; limit: number; offset: number }): Promise<{ total: number; items: ChannelEntity[] }> {
    const qb = this.repo.createQueryBuilder('c');
    if (q.search) {
      const like = `%${q.search.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
      qb.where('(c.name ILIKE :like OR c.channel_id ILIKE :like)', { like });
    }
    const [items, total] = await qb.orderBy('c.device_id', 'ASC').addOrderBy('c.channel_id', 'ASC').take(q.limit).skip(q.offset).getManyAndCount();
    return { total, items };
  }

  /**
   * Writes a catalog in one transaction: upserts every item (CHANNEL_UPSERT_CHUNK_ROWS per statement);
   * with `complete` (every item of the SumNum arrived) also deletes the device's rows not in `items`.
   * An item listed twice: the last one wins. Returns the device's channel count afterwards (directories not counted).
   * Throws PersistenceError DEVICE_NOT_FOUND when the device row does not exist.
   */
  replaceForDevice(deviceId: string, items: readonly ChannelRow[], opts: { complete: boolean }): Promise<number> {
    return this.withDeviceCheck(deviceId, () =>
      this.dataSource.transaction(async (manager) => {
        const unique = lastPerKey(items, (r) => r.channelId);
        await upsertChunks(manager, deviceId, unique);
        if (opts.complete) {
          await manager.query(
            `DELETE FROM "channels" WHERE "device_id" = $1 AND NOT ("channel_id" = ANY($2::varchar[]))`,
            [deviceId, unique.map((r) => r.channelId)],
          );
        }
        const [{ n }] = (await manager.query(`SELECT count(*)::int AS n FROM "channels" WHERE "device_id" = $1 AND "kind" = $2`, [
          deviceId,
          CHANNEL_KIND,
        ])) as Array<{ n: number }>;
        return n;
      }),
    );
  }

  /**
   * Writes the catalogs of many devices in one transaction and a constant number of statements (one
   * upsert per CHANNEL_UPSERT_CHUNK_ROWS rows, one delete, one count), where replaceForDevice() takes
   * five round trips per device: registration storms write hundreds of catalogs a second. Each device
   * at most once per call. Devices without a row are skipped (absent from the result, nothing written).
   * Also sets each written device's channel_count (directories not counted) and catalog_synced_at (= `syncedAt`).
   * Returns the channel count of every written device.
   */
  async replaceCatalogs(writes: readonly CatalogWrite[], syncedAt = new Date()): Promise<Map<string, number>> {
    if (writes.length === 0) return new Map();
    const ids = writes.map((w) => w.deviceId);
    if (new Set(ids).size !== ids.length) throw new PersistenceError('INVALID_ARGUMENT', 'replaceCatalogs() got a device twice');
    const rows = writes.flatMap((w) => lastPerKey(w.items, (r) => r.channelId).map((r) => ({ deviceId: w.deviceId, row: r })));
    if (rows.length <= CHANNEL_UPSERT_CHUNK_ROWS && writes.every((w) => w.complete)) {
      // Each device's rows are then exactly its items: the count needs no query.
      const counts = new Map<string, number>(ids.map((id) => [id, 0]));
      for (const { deviceId, row } of rows) if ((row.kind ?? CHANNEL_KIND) === CHANNEL_KIND) counts.set(deviceId, counts.get(deviceId)! + 1);
      const [updated] = (await this.dataSource.query(WHOLE_CATALOGS_SQL, [
        rows.map((p) => p.deviceId),
        ...COLUMNS.map(([, , get]) => rows.map((p) => get(p.row))),
        ids,
        ids.map((id) => counts.get(id)!),
        syncedAt,
      ])) as [Array<{ id: string; n: number }>, number];
      return new Map(updated.map((r) => [r.id, r.n]));
    }
    return this.dataSource.transaction(async (manager) => {
      for (const part of chunk(rows, CHANNEL_UPSERT_CHUNK_ROWS)) {
        await manager.query(UPSERT_MANY_DEVICES_SQL, [part.map((p) => p.deviceId), ...COLUMNS.map(([, , get]) => part.map((p) => get(p.row)))]);
      }
      const complete = writes.filter((w) => w.complete);
      if (complete.length > 0) {
        const kept = complete.flatMap((w) => w.items.map((r) => [w.deviceId, r.channelId] as const));
        await manager.query(
          `DELETE FROM "channels" c WHERE c."device_id" = ANY($1::varchar[]) AND NOT EXISTS ` +
            `(SELECT 1 FROM unnest($2::varchar[], $3::varchar[]) AS k(d, ch) WHERE k.d = c."device_id" AND k.ch = c."channel_id")`,
          [complete.map((w) => w.deviceId), kept.map((k) => k[0]), kept.map((k) => k[1])],
        );
      }
      // Each device's channel count and sync time, in the same transaction (no second write of the device row).
      const counted = (await manager.query(
        `UPDATE "devices" d SET "channel_count" = (${COUNT_CHANNELS_OF_D}), ` +
          `"catalog_synced_at" = $2 WHERE d."device_id" = ANY($1::varchar[]) RETURNING d."device_id" AS id, d."channel_count" AS n`,
        [ids, syncedAt],
      )) as [Array<{ id: string; n: number }>, number];
      return new Map(counted[0].map((r) => [r.id, r.n]));
    });
  }

  /** Upserts items (catalog NOTIFY ADD / UPDATE), in one transaction. */
  async upsertMany(deviceId: string, items: readonly ChannelRow[]): Promise<void> {
    if (items.length === 0) return;
    const unique = lastPerKey(items, (r) => r.channelId);
    await this.withDeviceCheck(deviceId, () =>
      unique.length <= CHANNEL_UPSERT_CHUNK_ROWS
        ? upsertChunks(this.dataSource.manager, deviceId, unique)
        : this.dataSource.transaction((manager) => upsertChunks(manager, deviceId, unique)),
    );
  }

  /** Deletes the given channels of a device (catalog NOTIFY DEL). Returns how many existed. */
  async deleteMany(deviceId: string, channelIds: readonly string[]): Promise<number> {
    if (channelIds.length === 0) return 0;
    // TypeORM's postgres driver answers a DELETE with [rows, rowCount].
    const [, count] = (await this.dataSource.query(
      `DELETE FROM "channels" WHERE "device_id" = $1 AND "channel_id" = ANY($2::varchar[])`,
      [deviceId, channelIds],
    )) as [unknown[], number];
    return count;
  }

  /**
   * Sets the `status` of those of `channelIds` the device has (catalog NOTIFY ON / OFF / VLOST / DEFECT); the other
   * columns stay. Returns the IDs that existed (and changed).
   */
  async setStatus(deviceId: string, channelIds: readonly string[], status: string): Promise<string[]> {
    if (channelIds.length === 0) return [];
    const [rows] = (await this.dataSource.query(
      `UPDATE "channels" SET "status" = $3, "updated_at" = now() WHERE "device_id" = $1 AND "channel_id" = ANY($2::varchar[]) RETURNING "channel_id" AS id`,
      [deviceId, channelIds, status],
    )) as [Array<{ id: string }>, number];
    return rows.map((r) => r.id);
  }

  /** The rows of a device among `channelIds`, by channel ID. */
  findMany(deviceId: string, channelIds: readonly string[]): Promise<ChannelEntity[]> {
    if (channelIds.length === 0) return Promise.resolve([]);
    return this.repo.createQueryBuilder('c').where('c.device_id = :deviceId AND c.channel_id = ANY(:ids)', { deviceId, ids: [...channelIds] }).orderBy('c.channel_id', 'ASC').getMany();
  }

  /**
   * Recounts a device's channels (directories not counted) into devices.channel_count, after changes that bypass
   * replaceCatalogs() (catalog NOTIFY ADD / DEL). Returns the count; null when the device has no row.
   */
  async recount(deviceId: string): Promise<number | null> {
    const [rows] = (await this.dataSource.query(
      `UPDATE "devices" d SET "channel_count" = (${COUNT_CHANNELS_OF_D}) WHERE d."device_id" = $1 RETURNING d."channel_count" AS n`,
      [deviceId],
    )) as [Array<{ n: number }>, number];
    return rows[0]?.n ?? null;
  }

  private async withDeviceCheck<T>(deviceId: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      if (pgErrorCode(e) === PG_FOREIGN_KEY_VIOLATION) {
        throw new PersistenceError('DEVICE_NOT_FOUND', `device ${deviceId} does not exist`, { cause: e });
      }
      throw e;
    }
  }
}

async function upsertChunks(manager: EntityManager, deviceId: string, rows: readonly ChannelRow[]): Promise<void> {
  for (const part of chunk(rows, CHANNEL_UPSERT_CHUNK_ROWS)) {
    await manager.query(UPSERT_SQL, [deviceId, ...COLUMNS.map(([, , get]) => part.map(get))]);
  }
}
