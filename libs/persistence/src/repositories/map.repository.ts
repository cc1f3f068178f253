import type { DataSource } from 'typeorm';

export interface MapPlanRow {
  contentType: string;
  width: number;
  height: number;
  data: Buffer;
  updatedAt: Date;
}

export interface MapSettingsRow {
  planRef: unknown;
  tileUrl: string | null;
  updatedAt: Date;
}

export interface MapPositionRow {
  channelId: string;
  x: number;
  y: number;
  updatedAt: Date;
}

/** Most manual positions listed by listPositions(). */
export const MAX_MAP_POSITIONS_LISTED = 10_000;

/** Plans, settings and manual positions of the map page. No rules here: sizes and shapes are checked by the gateway. */
export class MapRepository {
  constructor(private readonly dataSource: DataSource) {}

  async getPlan(key = 'default'): Promise<MapPlanRow | null> {
    const rows = (await this.dataSource.query(`SELECT "content_type", "width", "height", "data", "updated_at" FROM "map_plans" WHERE "key" = $1`, [key])) as Array<{
      content_type: string; width: number; height: number; data: Buffer; updated_at: Date;
    }>;
    const r = rows[0];
    return r ? { contentType: r.content_type, width: r.width, height: r.height, data: Buffer.from(r.data), updatedAt: new Date(r.updated_at) } : null;
  }

  /** Size and type of the plan without its bytes. */
  async getPlanInfo(key = 'default'): Promise<Omit<MapPlanRow, 'data'> & { bytes: number } | null> {
    const rows = (await this.dataSource.query(`SELECT "content_type", "width", "height", octet_length("data")::int AS bytes, "updated_at" FROM "map_plans" WHERE "key" = $1`, [key])) as Array<{
      content_type: string; width: number; height: number; bytes: number; updated_at: Date;
    }>;
    const r = rows[0];
    return r ? { contentType: r.content_type, width: r.width, height: r.height, bytes: r.bytes, updatedAt: new Date(r.updated_at) } : null;
  }

  async putPlan(plan: Omit<MapPlanRow, 'updatedAt'>, key = 'default'): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO "map_plans" ("key", "content_type", "width", "height", "data", "updated_at") VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT ("key") DO UPDATE SET "content_type" = EXCLUDED."content_type", "width" = EXCLUDED."width", "height" = EXCLUDED."height",
         "data" = EXCLUDED."data", "updated_at" = EXCLUDED."updated_at"`,
      [key, plan.contentType, plan.width, plan.height, plan.data],
    );
  }

  async getSettings(key = 'default'): Promise<MapSettingsRow | null> {
    const rows = (await this.dataSource.query(`SELECT "plan_ref", "tile_url", "updated_at" FROM "map_settings" WHERE "key" = $1`, [key])) as Array<{
      plan_ref: unknown; tile_url: string | null; updated_at: Date;
    }>;
    const r = rows[0];
    return r ? { planRef: r.plan_ref, tileUrl: r.tile_url, updatedAt: new Date(r.updated_at) } : null;
  }

  async putSettings(settings: { planRef: unknown; tileUrl: string | null }, key = 'default'): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO "map_settings" ("key", "plan_ref", "tile_url", "updated_at") VALUES ($1, $2::jsonb, $3, now())
       ON CONFLICT ("key") DO UPDATE SET "plan_ref" = EXCLUDED."plan_ref", "tile_url" = EXCLUDED."tile_url", "updated_at" = EXCLUDED."updated_at"`,
      [key, settings.planRef === null || settings.planRef === undefined ? null : JSON.stringify(settings.planRef), settings.tileUrl],
    );
  }

  async listPositions(limit = MAX_MAP_POSITIONS_LISTED): Promise<MapPositionRow[]> {
    const rows = (await this.dataSource.query(`SELECT "channel_id", "x", "y", "updated_at" FROM "map_positions" ORDER BY "channel_id" LIMIT $1`, [
      Math.min(limit, MAX_MAP_POSITIONS_LISTED),
    ])) as Array<{ channel_id: string; x: number; y: number; updated_at: Date }>;
    return rows.map((r) => ({ channelId: r.channel_id, x: Number(r.x), y: Number(r.y), updatedAt: new Date(r.updated_at) }));
  }

  async countPositions(): Promise<number> {
    const [r] = (await this.dataSource.query(`SELECT count(*)::int AS n FROM "map_positions"`)) as Array<{ n: number }>;
    return r?.n ?? 0;
  }

  async putPosition(channelId: string, x: number, y: number): Promise<MapPositionRow> {
    const [r] = (await this.dataSource.query(
      `INSERT INTO "map_positions" ("channel_id", "x", "y", "updated_at") VALUES ($1, $2, $3, now())
       ON CONFLICT ("channel_id") DO UPDATE SET "x" = EXCLUDED."x", "y" = EXCLUDED."y", "updated_at" = EXCLUDED."updated_at"
       RETURNING "channel_id", "x", "y", "updated_at"`,
      [channelId, x, y],
    )) as Array<{ channel_id: string; x: number; y: number; updated_at: Date }>;
    return { channelId: r!.channel_id, x: Number(r!.x), y: Number(r!.y), updatedAt: new Date(r!.updated_at) };
  }

  /** true when a position existed. */
  async deletePosition(channelId: string): Promise<boolean> {
    const [, n] = (await this.dataSource.query(`DELETE FROM "map_positions" WHERE "channel_id" = $1`, [channelId])) as [unknown, number];
    return n > 0;
  }
}
