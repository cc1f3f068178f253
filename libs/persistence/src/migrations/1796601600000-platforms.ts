import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Superior platforms of the cascade (issue 11, POST /api/platforms). Hand-written; must equal PlatformEntity
 * (platform.repository.spec.ts checks there is no pending change). Plain SQL that PGlite and PostgreSQL both run.
 */
export class Platforms1796601600000 implements MigrationInterface {
  readonly name = 'Platforms1796601600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "platforms" (
        "id" uuid NOT NULL,
        "name" character varying(64) NOT NULL,
        "server_id" character varying(32) NOT NULL,
        "domain" character varying(64) NOT NULL,
        "host" character varying(253) NOT NULL,
        "port" integer NOT NULL,
        "transport" character varying(8) NOT NULL,
        "password" character varying(128) NOT NULL,
        "local_id" character varying(32),
        "expires_s" integer NOT NULL,
        "keepalive_s" integer NOT NULL,
        "charset" character varying(16) NOT NULL,
        "share_all" boolean NOT NULL DEFAULT false,
        "channels" jsonb NOT NULL DEFAULT '[]',
        "enabled" boolean NOT NULL DEFAULT true,
        "owner_node" character varying(64) NOT NULL,
        "state" character varying(16) NOT NULL DEFAULT 'registering',
        "cause" character varying(256),
        "state_at" TIMESTAMP WITH TIME ZONE,
        "last_keepalive_at" TIMESTAMP WITH TIME ZONE,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "chk_platforms_transport" CHECK ("transport" IN ('udp', 'tcp')),
        CONSTRAINT "chk_platforms_state" CHECK ("state" IN ('registering', 'online', 'failed', 'disabled')),
        CONSTRAINT "pk_platforms" PRIMARY KEY ("id")
      )`);
    await q.query(`CREATE INDEX "idx_platforms_owner_node" ON "platforms" ("owner_node")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "platforms"`);
  }
}
