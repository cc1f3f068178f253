import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The map page: site plan images (bytea), map settings, manual channel positions. Hand-written; must equal the Map*Entity classes. */
export class Map1796342400000 implements MigrationInterface {
  readonly name = 'Map1796342400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "map_plans" (
        "key" character varying(32) NOT NULL,
        "content_type" character varying(32) NOT NULL,
        "width" integer NOT NULL,
        "height" integer NOT NULL,
        "data" bytea NOT NULL,
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "pk_map_plans" PRIMARY KEY ("key")
      )`);
    await q.query(`
      CREATE TABLE "map_settings" (
        "key" character varying(32) NOT NULL,
        "plan_ref" jsonb,
        "tile_url" character varying(2048),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "pk_map_settings" PRIMARY KEY ("key")
      )`);
    await q.query(`
      CREATE TABLE "map_positions" (
        "channel_id" character varying(64) NOT NULL,
        "x" double precision NOT NULL,
        "y" double precision NOT NULL,
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "pk_map_positions" PRIMARY KEY ("channel_id")
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "map_positions"`);
    await q.query(`DROP TABLE "map_settings"`);
    await q.query(`DROP TABLE "map_plans"`);
  }
}
