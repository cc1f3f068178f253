import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Device events (issue 13 items 2 and 3): the alarms devices report, with acknowledge and clear, and the mobile
 * positions of channels. Hand-written; must equal DeviceAlarmEntity and ChannelPositionEntity
 * (device-events.repository.spec.ts checks there is no pending change). Plain SQL that PGlite and PostgreSQL both run.
 */
export class DeviceEvents1797033600000 implements MigrationInterface {
  readonly name = 'DeviceEvents1797033600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "device_alarms" (
        "id" uuid NOT NULL,
        "device_id" character varying(32) NOT NULL,
        "channel_id" character varying(64) NOT NULL,
        "priority" character varying(16),
        "method" character varying(16),
        "type" character varying(16),
        "time" character varying(32),
        "description" character varying(256),
        "longitude" double precision,
        "latitude" double precision,
        "received_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "acked_at" TIMESTAMP WITH TIME ZONE,
        "acked_by" character varying(64),
        "cleared_at" TIMESTAMP WITH TIME ZONE,
        "cleared_by" character varying(64),
        CONSTRAINT "pk_device_alarms" PRIMARY KEY ("id")
      )`);
    await q.query(`CREATE INDEX "idx_device_alarms_received" ON "device_alarms" ("received_at", "id")`);
    await q.query(`CREATE INDEX "idx_device_alarms_device_received" ON "device_alarms" ("device_id", "received_at")`);
    await q.query(`CREATE INDEX "idx_device_alarms_channel_received" ON "device_alarms" ("channel_id", "received_at")`);
    await q.query(`
      CREATE TABLE "channel_positions" (
        "id" uuid NOT NULL,
        "channel_id" character varying(64) NOT NULL,
        "device_id" character varying(32) NOT NULL,
        "time" TIMESTAMP WITH TIME ZONE NOT NULL,
        "longitude" double precision NOT NULL,
        "latitude" double precision NOT NULL,
        "speed" double precision,
        "direction" double precision,
        "altitude" double precision,
        "received_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "pk_channel_positions" PRIMARY KEY ("id")
      )`);
    await q.query(`CREATE INDEX "idx_channel_positions_channel_time" ON "channel_positions" ("channel_id", "time")`);
    await q.query(`CREATE INDEX "idx_channel_positions_time" ON "channel_positions" ("time")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "channel_positions"`);
    await q.query(`DROP TABLE "device_alarms"`);
  }
}
