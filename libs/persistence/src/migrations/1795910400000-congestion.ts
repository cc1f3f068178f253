import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Congestion scoring: ROIs per channel, downsampled score samples, alerts.
 * Hand-written; must stay equal to the entities (a spec checks that TypeORM sees no pending change).
 */
export class Congestion1795910400000 implements MigrationInterface {
  readonly name = 'Congestion1795910400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "rois" (
        "channel_id" character varying(64) NOT NULL,
        "roi_id" character varying(64) NOT NULL,
        "device_id" character varying(32) NOT NULL,
        "position" integer NOT NULL DEFAULT 0,
        "polygon" jsonb NOT NULL,
        "calibration" jsonb,
        CONSTRAINT "pk_rois" PRIMARY KEY ("channel_id", "roi_id")
      )`);
    await q.query(`CREATE INDEX "idx_rois_device" ON "rois" ("device_id")`);
    await q.query(`
      CREATE TABLE "congestion_samples" (
        "channel_id" character varying(64) NOT NULL,
        "roi_id" character varying(64) NOT NULL,
        "t" TIMESTAMP WITH TIME ZONE NOT NULL,
        "index" double precision NOT NULL,
        "max_index" double precision NOT NULL,
        "level" character varying(16) NOT NULL,
        "vehicles" double precision NOT NULL,
        "persons" double precision NOT NULL,
        "samples" integer NOT NULL,
        CONSTRAINT "pk_congestion_samples" PRIMARY KEY ("channel_id", "roi_id", "t")
      )`);
    await q.query(`CREATE INDEX "idx_congestion_samples_t" ON "congestion_samples" ("t")`);
    await q.query(`
      CREATE TABLE "alerts" (
        "id" uuid NOT NULL,
        "channel_id" character varying(64) NOT NULL,
        "device_id" character varying(32) NOT NULL,
        "roi_id" character varying(64) NOT NULL,
        "level" character varying(16) NOT NULL,
        "peak_index" double precision NOT NULL,
        "state" character varying(16) NOT NULL,
        "raised_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "cleared_at" TIMESTAMP WITH TIME ZONE,
        "acked_at" TIMESTAMP WITH TIME ZONE,
        "acked_by" character varying(128),
        "snapshot_file" character varying(128),
        CONSTRAINT "pk_alerts" PRIMARY KEY ("id"),
        CONSTRAINT "chk_alerts_state" CHECK ("state" IN ('active', 'cleared'))
      )`);
    await q.query(`CREATE INDEX "idx_alerts_raised_at" ON "alerts" ("raised_at")`);
    await q.query(`CREATE INDEX "idx_alerts_channel" ON "alerts" ("channel_id", "roi_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "alerts"`);
    await q.query(`DROP TABLE "congestion_samples"`);
    await q.query(`DROP TABLE "rois"`);
  }
}
