import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Channels under congestion watch, so a restart resumes them. Hand-written; must equal WatchEntity. */
export class Watches1795996800000 implements MigrationInterface {
  readonly name = 'Watches1795996800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "watches" (
        "channel_id" character varying(64) NOT NULL,
        "device_id" character varying(32) NOT NULL,
        "since" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "pk_watches" PRIMARY KEY ("channel_id")
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "watches"`);
  }
}
