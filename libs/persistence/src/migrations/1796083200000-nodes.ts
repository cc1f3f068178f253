import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Several gateway nodes on one database: the nodes table, the owner of each device, the holder of each
 * watched channel and the node of each alert. Hand-written; must equal NodeEntity and the added columns.
 */
export class Nodes1796083200000 implements MigrationInterface {
  readonly name = 'Nodes1796083200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "nodes" (
        "node_id" character varying(64) NOT NULL,
        "public_url" character varying(256),
        "sip_address" character varying(128),
        "media_ip" character varying(64),
        "started_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "heartbeat_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "devices" integer NOT NULL DEFAULT 0,
        "streams" integer NOT NULL DEFAULT 0,
        "cpu" double precision NOT NULL DEFAULT 0,
        CONSTRAINT "pk_nodes" PRIMARY KEY ("node_id")
      )`);
    await q.query(`ALTER TABLE "devices" ADD "owner_node" character varying(64), ADD "lease_until" TIMESTAMP WITH TIME ZONE`);
    await q.query(`CREATE INDEX "idx_devices_owner_node" ON "devices" ("owner_node")`);
    await q.query(`ALTER TABLE "watches" ADD "node_id" character varying(64), ADD "lease_until" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "alerts" ADD "node_id" character varying(64)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "alerts" DROP COLUMN "node_id"`);
    await q.query(`ALTER TABLE "watches" DROP COLUMN "lease_until", DROP COLUMN "node_id"`);
    await q.query(`DROP INDEX "idx_devices_owner_node"`);
    await q.query(`ALTER TABLE "devices" DROP COLUMN "lease_until", DROP COLUMN "owner_node"`);
    await q.query(`DROP TABLE "nodes"`);
  }
}
