import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stream proxies in push mode (issue 12 item 1: RTMP push ingest): mode 'push', no source URL, a per-channel publish
 * key. Hand-written; must equal StreamProxyEntity (stream-proxy.repository.spec.ts checks there is no pending change).
 */
export class StreamProxyPush1796864400000 implements MigrationInterface {
  readonly name = 'StreamProxyPush1796864400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "stream_proxies" ALTER COLUMN "url" DROP NOT NULL`);
    await q.query(`ALTER TABLE "stream_proxies" ADD "push_key" character varying(64)`);
    await q.query(`ALTER TABLE "stream_proxies" DROP CONSTRAINT "chk_stream_proxies_mode"`);
    await q.query(`ALTER TABLE "stream_proxies" ADD CONSTRAINT "chk_stream_proxies_mode" CHECK ("mode" IN ('on-demand', 'always', 'push'))`);
    await q.query(`ALTER TABLE "stream_proxies" ADD CONSTRAINT "chk_stream_proxies_source" CHECK (("mode" = 'push') = ("url" IS NULL) AND ("mode" = 'push') = ("push_key" IS NOT NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM "stream_proxies" WHERE "mode" = 'push'`);
    await q.query(`ALTER TABLE "stream_proxies" DROP CONSTRAINT "chk_stream_proxies_source"`);
    await q.query(`ALTER TABLE "stream_proxies" DROP CONSTRAINT "chk_stream_proxies_mode"`);
    await q.query(`ALTER TABLE "stream_proxies" ADD CONSTRAINT "chk_stream_proxies_mode" CHECK ("mode" IN ('on-demand', 'always'))`);
    await q.query(`ALTER TABLE "stream_proxies" DROP COLUMN "push_key"`);
    await q.query(`ALTER TABLE "stream_proxies" ALTER COLUMN "url" SET NOT NULL`);
  }
}
