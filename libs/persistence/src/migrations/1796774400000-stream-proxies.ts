import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stream proxies (issue 12 item 1, POST /api/proxies). Hand-written; must equal StreamProxyEntity
 * (stream-proxy.repository.spec.ts checks there is no pending change). Plain SQL that PGlite and PostgreSQL both run.
 */
export class StreamProxies1796774400000 implements MigrationInterface {
  readonly name = 'StreamProxies1796774400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "stream_proxies" (
        "id" uuid NOT NULL,
        "serial" integer NOT NULL,
        "name" character varying(64) NOT NULL,
        "url" character varying(2048) NOT NULL,
        "mode" character varying(16) NOT NULL,
        "username" character varying(128),
        "password" character varying(128),
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "uq_stream_proxies_serial" UNIQUE ("serial"),
        CONSTRAINT "chk_stream_proxies_mode" CHECK ("mode" IN ('on-demand', 'always')),
        CONSTRAINT "pk_stream_proxies" PRIMARY KEY ("id")
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "stream_proxies"`);
  }
}
