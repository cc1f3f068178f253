import type { DataSource, Repository } from 'typeorm';
import { WatchEntity } from '../entities/watch.entity';

export interface WatchRow {
  channelId: string;
  deviceId: string;
  since: Date;
  nodeId?: string | null;
  leaseUntil?: Date | null;
}

/** The set of watched channels. add() is idempotent (keeps the first `since`); remove() of an absent one is a no-op. */
export class WatchRepository {
  private readonly repo: Repository<WatchEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.repo = dataSource.getRepository(WatchEntity);
  }

  async list(): Promise<WatchRow[]> {
    const rows = await this.repo.find({ order: { since: 'ASC', channelId: 'ASC' } });
    return rows.map((r) => ({ channelId: r.channelId, deviceId: r.deviceId, since: r.since, nodeId: r.nodeId, leaseUntil: r.leaseUntil }));
  }

  /** Adds the watch; with `holder`, held by that node for `leaseMs` (an existing row keeps its `since`). */
  async add(channelId: string, deviceId: string, since = new Date(), holder?: { node: string; leaseMs: number }): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO "watches" ("channel_id", "device_id", "since", "node_id", "lease_until")
       VALUES ($1, $2, $3, $4, CASE WHEN $4::varchar IS NULL THEN NULL ELSE now() + make_interval(secs => $5::double precision / 1000) END)
       ON CONFLICT ("channel_id") DO UPDATE SET "device_id" = EXCLUDED."device_id", "node_id" = COALESCE(EXCLUDED."node_id", "watches"."node_id"),
         "lease_until" = COALESCE(EXCLUDED."lease_until", "watches"."lease_until")`,
      [channelId, deviceId, since, holder?.node ?? null, holder?.leaseMs ?? 0],
    );
  }

  /**
   * The watches `node` should score: those of devices it owns that nobody holds, that it holds already
   * (their lease is renewed), or whose holder let its lease run out. At most `limit` rows, oldest first.
   */
  async claimForOwner(node: string, leaseMs: number, limit: number): Promise<WatchRow[]> {
    const [rows] = (await this.dataSource.query(
      `UPDATE "watches" AS w SET "node_id" = $1, "lease_until" = now() + make_interval(secs => $2::double precision / 1000)
       WHERE w."channel_id" IN (
         SELECT w2."channel_id" FROM "watches" w2 JOIN "devices" d ON d."device_id" = w2."device_id"
         WHERE d."owner_node" = $1 AND (w2."node_id" IS NULL OR w2."node_id" = $1 OR w2."lease_until" IS NULL OR w2."lease_until" < now())
         ORDER BY w2."since", w2."channel_id" LIMIT $3)
       RETURNING w."channel_id" AS channel_id, w."device_id" AS device_id, w."since" AS since, w."node_id" AS node_id, w."lease_until" AS lease_until`,
      [node, leaseMs, limit],
    )) as [Array<{ channel_id: string; device_id: string; since: Date; node_id: string; lease_until: Date }>, number];
    return rows.map((r) => ({ channelId: r.channel_id, deviceId: r.device_id, since: new Date(r.since), nodeId: r.node_id, leaseUntil: new Date(r.lease_until) }));
  }

  /** `node` stops holding these channels (its device moved away): the next owner may take them at once. */
  async release(node: string, channelIds: readonly string[]): Promise<void> {
    if (channelIds.length === 0) return;
    await this.dataSource.query(`UPDATE "watches" SET "node_id" = NULL, "lease_until" = NULL WHERE "node_id" = $1 AND "channel_id" = ANY($2::varchar[])`, [node, channelIds]);
  }

  async remove(channelId: string): Promise<void> {
    await this.repo.delete({ channelId });
  }
}
