import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hand-drawn exclusion zones per channel (PUT /api/channels/:c/rois `{exclusions}`). Hand-written; must equal
 * ExclusionZoneEntity (repository.contract.ts checks there is no pending change). Plain SQL that PGlite and
 * PostgreSQL both run.
 */
export class ExclusionZones1796428800000 implements MigrationInterface {
  readonly name = 'ExclusionZones1796428800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "exclusion_zones" (
        "channel_id" character varying(64) NOT NULL,
        "zone_id" character varying(64) NOT NULL,
        "device_id" character varying(32) NOT NULL,
        "position" integer NOT NULL DEFAULT 0,
        "polygon" jsonb NOT NULL,
        CONSTRAINT "pk_exclusion_zones" PRIMARY KEY ("channel_id", "zone_id")
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "exclusion_zones"`);
  }
}
