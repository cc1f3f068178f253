import { In, type DataSource, type Repository } from 'typeorm';
import { DeviceEntity, type DeviceTransport } from '../entities/device.entity';
import { PersistenceError } from '../persistence-error';
import { chunk, lastPerKey, quotedColumn } from '../sql-columns';

/** Rows per UPDATE statement in flushLiveness. */
export const LIVENESS_CHUNK_ROWS = 1000;
/** Rows per INSERT statement in upsertMany (× ~18 columns stays far below PostgreSQL's 65535 parameters). */
export const UPSERT_CHUNK_ROWS = 500;

/** Columns a first registration must carry (the rest have defaults or are nullable). */
const REQUIRED_ON_INSERT = ['transport', 'remoteHost', 'remotePort', 'localHost', 'localPort'] as const;
/** Maintained by the database; never written by callers. */
const NOT_WRITABLE = new Set(['deviceId', 'createdAt', 'updatedAt']);

export type DeviceRegistration = Partial<Omit<DeviceEntity, 'createdAt' | 'updatedAt'>> & { deviceId: string };

export interface DeviceInfoPatch {
  manufacturer?: string | null;
  model?: string | null;
  firmware?: string | null;
  name?: string | null;
}

export interface LivenessRow {
  deviceId: string;
  lastKeepaliveAt: Date;
  online: boolean;
  /** When given, the device's current source address replaces the stored one. */
  remoteHost?: string;
  remotePort?: number;
  transport?: DeviceTransport | string;
  /** The owner's claim on the device holds until then (its liveness deadline). */
  leaseUntil?: Date | null;
}

/** A device taken by a node: who held it before (null: nobody). */
export interface DeviceClaim {
  deviceId: string;
  previousOwner: string | null;
}

/** PostgreSQL element type of an entity column type, for `$n::type[]` casts. */
function sqlBaseType(type: string): string {
  switch (type) {
    case 'varchar':
    case 'character varying':
      return 'varchar';
    case 'int':
    case 'integer':
      return 'int';
    case 'boolean':
      return 'bool';
    case 'timestamptz':
    case 'timestamp with time zone':
      return 'timestamptz';
    default:
      throw new PersistenceError('UNKNOWN_COLUMN', `no array type for column type ${type}`);
  }
}

/** Devices table access. Thin: no business rules, every write is one statement (per chunk). */
export class DeviceRepository {
  private readonly repo: Repository<DeviceEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.repo = dataSource.getRepository(DeviceEntity);
  }

  findAll(): Promise<DeviceEntity[]> {
    return this.repo.find({ order: { deviceId: 'ASC' } });
  }

  findById(deviceId: string): Promise<DeviceEntity | null> {
    return this.repo.findOneBy({ deviceId });
  }

  /** The rows of those of `deviceIds` that exist, in one query (any order). */
  findByIds(deviceIds: readonly string[]): Promise<DeviceEntity[]> {
    if (deviceIds.length === 0) return Promise.resolve([]);
    return this.repo.findBy({ deviceId: In([...deviceIds]) });
  }

  /**
   * Writes exactly the given (non-undefined) properties: INSERT … ON CONFLICT (device_id) DO UPDATE
   * when the row could be inserted, else a plain UPDATE (PostgreSQL checks NOT NULL on the proposed
   * row before it resolves the conflict). A device seen for the first time must carry transport,
   * remoteHost, remotePort, localHost and localPort, else PersistenceError MISSING_COLUMN.
   */
  async upsertRegistration(d: DeviceRegistration): Promise<void> {
    const values: Record<string, unknown> = {};
    for (const [property, value] of Object.entries(d)) {
      if (value !== undefined && !NOT_WRITABLE.has(property)) values[property] = value;
    }
    const missing = REQUIRED_ON_INSERT.filter((k) => values[k] === undefined);
    if (missing.length > 0) {
      if (await this.updateColumns(d.deviceId, values)) return;
      throw new PersistenceError('MISSING_COLUMN', `first registration of ${d.deviceId} lacks ${missing.join(', ')}`);
    }
    const columns = ['"device_id"', ...Object.keys(values).map((p) => quotedColumn(this.repo.metadata, p))];
    const params = [d.deviceId, ...Object.values(values)];
    const updates = columns.slice(1).map((c) => `${c} = EXCLUDED.${c}`);
    updates.push('"updated_at" = now()');
    await this.dataSource.query(
      `INSERT INTO "devices" (${columns.join(', ')}) VALUES (${params.map((_, i) => `$${i + 1}`).join(', ')}) ` +
        `ON CONFLICT ("device_id") DO UPDATE SET ${updates.join(', ')}`,
      params,
    );
  }

  /**
   * Write-behind of whole device rows (the gateway keeps devices in memory and flushes changed ones):
   * one multi-row INSERT … ON CONFLICT DO UPDATE per UPSERT_CHUNK_ROWS rows. Every row must carry the same
   * properties (those of the first row), including the columns a first registration needs. A null or
   * missing value for a NOT NULL column with a default (expires, online, channelCount) stores the default.
   */
  async upsertMany(rows: readonly DeviceRegistration[]): Promise<void> {
    const unique = lastPerKey(rows, (r) => r.deviceId);
    if (unique.length === 0) return;
    const props = Object.keys(unique[0]!).filter((p) => !NOT_WRITABLE.has(p));
    const missing = REQUIRED_ON_INSERT.filter((k) => !props.includes(k));
    if (missing.length) throw new PersistenceError('MISSING_COLUMN', `upsertMany rows lack ${missing.join(', ')}`);
    const columns = ['"device_id"', ...props.map((p) => quotedColumn(this.repo.metadata, p))];
    // One array per column (unnest): the statement text and its parameter count do not grow with the
    // batch, so the database parses and plans a small statement (a 500-row VALUES list is 9,500 parameters).
    const meta = props.map((p) => {
      const c = this.repo.metadata.findColumnWithPropertyName(p)!;
      const fallback = !c.isNullable && (typeof c.default === 'number' || typeof c.default === 'boolean' || typeof c.default === 'string') ? c.default : null;
      return { prop: p, arrayType: `${sqlBaseType(String(c.type))}[]`, fallback };
    });
    const updates = [...columns.slice(1).map((c) => `${c} = EXCLUDED.${c}`), '"updated_at" = now()'];
    // Rows that name their owner never overwrite a device another node has claimed since (see claim()).
    const ownerGuard = props.includes('ownerNode') ? ` WHERE "devices"."owner_node" IS NULL OR "devices"."owner_node" = EXCLUDED."owner_node"` : '';
    const sql =
      `INSERT INTO "devices" (${columns.join(', ')}) SELECT * FROM unnest($1::varchar[], ${meta.map((m, i) => `$${i + 2}::${m.arrayType}`).join(', ')}) ` +
      `ON CONFLICT ("device_id") DO UPDATE SET ${updates.join(', ')}${ownerGuard}`;
    for (const part of chunk(unique, UPSERT_CHUNK_ROWS)) {
      const params: unknown[] = [part.map((r) => r.deviceId)];
      for (const m of meta) params.push(part.map((r) => (r as Record<string, unknown>)[m.prop] ?? m.fallback));
      await this.dataSource.query(sql, params);
    }
  }

  /** Sets the given DeviceInfo fields (undefined = leave as is). */
  async updateInfo(deviceId: string, info: DeviceInfoPatch): Promise<void> {
    await this.updateColumns(deviceId, { ...info });
  }

  async markOffline(deviceIds: readonly string[]): Promise<void> {
    if (deviceIds.length === 0) return;
    await this.dataSource.query(
      `UPDATE "devices" SET "online" = false, "updated_at" = now() WHERE "device_id" = ANY($1::varchar[]) AND "online"`,
      [deviceIds],
    );
  }

  /**
   * Writes a batch of keepalive results: one `UPDATE … FROM unnest(…)` per LIVENESS_CHUNK_ROWS rows.
   * Unknown device ids are ignored; for a device listed twice the last row wins.
   */
  async flushLiveness(rows: readonly LivenessRow[], owner?: string): Promise<void> {
    const unique = lastPerKey(rows, (r) => r.deviceId);
    for (const part of chunk(unique, LIVENESS_CHUNK_ROWS)) {
      await this.dataSource.query(
        `UPDATE "devices" AS d SET
           "last_keepalive_at" = v.ts,
           "online" = v.online,
           "remote_host" = COALESCE(v.host, d."remote_host"),
           "remote_port" = COALESCE(v.port, d."remote_port"),
           "transport" = COALESCE(v.transport, d."transport"),
           "lease_until" = COALESCE(v.lease, d."lease_until"),
           "updated_at" = now()
         FROM unnest($1::varchar[], $2::timestamptz[], $3::boolean[], $4::varchar[], $5::int[], $6::varchar[], $7::timestamptz[])
           AS v(id, ts, online, host, port, transport, lease)
         WHERE d."device_id" = v.id AND ($8::varchar IS NULL OR d."owner_node" IS NULL OR d."owner_node" = $8::varchar)`,
        [
          part.map((r) => r.deviceId),
          part.map((r) => r.lastKeepaliveAt),
          part.map((r) => r.online),
          part.map((r) => r.remoteHost ?? null),
          part.map((r) => r.remotePort ?? null),
          part.map((r) => r.transport ?? null),
          part.map((r) => r.leaseUntil ?? null),
          owner ?? null,
        ],
      );
    }
  }

  /**
   * `node` takes the devices (a REGISTER reached it): one UPDATE for the batch, whoever owned them before.
   * Unknown ids are skipped (their first row is inserted by upsertMany). Returns each claimed device with its
   * previous owner, so a device that moved can be announced to the node it left.
   */
  async claim(deviceIds: readonly string[], node: string): Promise<DeviceClaim[]> {
    if (deviceIds.length === 0) return [];
    const rows = (await this.dataSource.query(
      `UPDATE "devices" AS d SET "owner_node" = $2, "updated_at" = now()
       FROM (SELECT "device_id", "owner_node" AS previous FROM "devices" WHERE "device_id" = ANY($1::varchar[]) FOR UPDATE) AS o
       WHERE d."device_id" = o."device_id"
       RETURNING d."device_id" AS device_id, o.previous AS previous`,
      [[...new Set(deviceIds)], node],
    )) as [Array<{ device_id: string; previous: string | null }>, number];
    return rows[0].map((r) => ({ deviceId: r.device_id, previousOwner: r.previous }));
  }

  /**
   * Devices `node` may take at boot or when a node dies: those without an owner and those whose owner has
   * no heartbeat newer than `deadAfterMs` (or no nodes row at all). Taken ones are set offline (they are
   * online again when they register with some node). Returns the taken rows.
   */
  async adoptOrphans(node: string, deadAfterMs: number): Promise<DeviceEntity[]> {
    const [rows] = (await this.dataSource.query(
      `UPDATE "devices" SET "owner_node" = $1, "online" = false, "updated_at" = now()
       WHERE "owner_node" IS NULL
          OR ("owner_node" <> $1 AND "owner_node" NOT IN (
                SELECT "node_id" FROM "nodes" WHERE "heartbeat_at" >= now() - make_interval(secs => $2::double precision / 1000)))
       RETURNING "device_id"`,
      [node, deadAfterMs],
    )) as [Array<{ device_id: string }>, number];
    if (rows.length === 0) return [];
    return this.repo.find({ where: rows.map((r) => ({ deviceId: r.device_id })), order: { deviceId: 'ASC' } });
  }

  /** One node with the database to itself (embedded): every device is its own, online state kept. */
  async adoptAll(node: string): Promise<void> {
    await this.dataSource.query(`UPDATE "devices" SET "owner_node" = $1 WHERE "owner_node" IS DISTINCT FROM $1`, [node]);
  }

  findOwnedBy(node: string): Promise<DeviceEntity[]> {
    return this.repo.find({ where: { ownerNode: node }, order: { deviceId: 'ASC' } });
  }

  /** Of the given devices, those now owned by another node (or deleted): id -> owner (null when the row is gone). */
  async ownedElsewhere(deviceIds: readonly string[], node: string): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    if (deviceIds.length === 0) return out;
    const rows = (await this.dataSource.query(
      `SELECT v.id AS device_id, d."owner_node" AS owner FROM unnest($1::varchar[]) AS v(id)
       LEFT JOIN "devices" d ON d."device_id" = v.id
       WHERE d."device_id" IS NULL OR d."owner_node" IS DISTINCT FROM $2`,
      [deviceIds, node],
    )) as Array<{ device_id: string; owner: string | null }>;
    for (const r of rows) out.set(r.device_id, r.owner);
    return out;
  }

  /** Deletes the device; its channels and settings go with it (ON DELETE CASCADE). */
  async delete(deviceId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM "devices" WHERE "device_id" = $1`, [deviceId]);
  }

  async setChannelCount(deviceId: string, count: number, syncedAt: Date | null): Promise<void> {
    await this.updateColumns(deviceId, { channelCount: count, catalogSyncedAt: syncedAt });
  }

  /** UPDATE of the given columns; true when the device exists. */
  private async updateColumns(deviceId: string, values: Record<string, unknown>): Promise<boolean> {
    const sets: string[] = [];
    const params: unknown[] = [deviceId];
    for (const [property, value] of Object.entries(values)) {
      if (value === undefined) continue;
      params.push(value);
      sets.push(`${quotedColumn(this.repo.metadata, property)} = $${params.length}`);
    }
    sets.push('"updated_at" = now()');
    // TypeORM's postgres driver answers an UPDATE with [rows, rowCount].
    const [, count] = (await this.dataSource.query(
      `UPDATE "devices" SET ${sets.join(', ')} WHERE "device_id" = $1`,
      params,
    )) as [unknown[], number];
    return count > 0;
  }
}
