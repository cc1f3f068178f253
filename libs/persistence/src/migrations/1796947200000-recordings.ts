import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Recording on the platform (issue 12 item 2): record plans per channel and the index of the segments written under
 * RECORD_DIR. Hand-written; must equal RecordPlanEntity and RecordSegmentEntity (recording.repository.spec.ts checks
 * there is no pending change). Plain SQL that PGlite and PostgreSQL both run.
 */
export class Recordings1796947200000 implements MigrationInterface {
  readonly name = 'Recordings1796947200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "record_plans" (
        "channel_id" character varying(64) NOT NULL,
        "device_id" character varying(32) NOT NULL,
        "mode" character varying(16) NOT NULL,
        "enabled" boolean NOT NULL DEFAULT true,
        "schedule" jsonb NOT NULL DEFAULT '[]',
        "on_alarm" boolean NOT NULL DEFAULT false,
        "on_congestion" boolean NOT NULL DEFAULT false,
        "pre_seconds" integer NOT NULL DEFAULT 0,
        "post_seconds" integer NOT NULL DEFAULT 0,
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "chk_record_plans_mode" CHECK ("mode" IN ('always', 'schedule', 'events')),
        CONSTRAINT "pk_record_plans" PRIMARY KEY ("channel_id")
      )`);
    await q.query(`
      CREATE TABLE "record_segments" (
        "id" uuid NOT NULL,
        "channel_id" character varying(64) NOT NULL,
        "device_id" character varying(32) NOT NULL,
        "path" character varying(512) NOT NULL,
        "start_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "end_at" TIMESTAMP WITH TIME ZONE,
        "bytes" bigint NOT NULL DEFAULT 0,
        "codec" character varying(16) NOT NULL,
        CONSTRAINT "uq_record_segments_path" UNIQUE ("path"),
        CONSTRAINT "pk_record_segments" PRIMARY KEY ("id")
      )`);
    await q.query(`CREATE INDEX "idx_record_segments_channel_start" ON "record_segments" ("channel_id", "start_at")`);
    await q.query(`CREATE INDEX "idx_record_segments_start" ON "record_segments" ("start_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "record_segments"`);
    await q.query(`DROP TABLE "record_plans"`);
  }
}
