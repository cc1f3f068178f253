import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Catalog items of a lower platform (issue 11 item 6): what each item is (`kind`: a channel, or a directory node of
 * the tree: region, platform, business-group, virtual-organisation, device) and its `<BusinessGroupID>`.
 * Directories stop counting in devices.channel_count. Hand-written; must equal ChannelEntity (repository.contract.ts
 * checks there is no pending change). Plain SQL that PGlite and PostgreSQL both run.
 *
 * The rows stored before this migration get their kind here, by the rule of libs/gb28181 catalogItemKind() as it
 * stands at this migration (a data migration is a snapshot: later changes of the rule apply at the next catalog).
 */
export class ChannelKinds1796688000000 implements MigrationInterface {
  readonly name = 'ChannelKinds1796688000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "channels" ADD "business_group_id" character varying`);
    await q.query(`ALTER TABLE "channels" ADD "kind" character varying(24) NOT NULL DEFAULT 'channel'`);
    await q.query(`
      UPDATE "channels" SET "kind" = CASE
        WHEN "channel_id" ~ '^([0-9]{2}){1,4}$' THEN 'region'
        WHEN "channel_id" !~ '^[0-9]{20}$' THEN 'channel'
        WHEN substr("channel_id", 11, 3) = '200' THEN 'platform'
        WHEN substr("channel_id", 11, 3) = '215' THEN 'business-group'
        WHEN substr("channel_id", 11, 3) = '216' THEN 'virtual-organisation'
        WHEN substr("channel_id", 11, 3)::int BETWEEN 111 AND 130 AND "parental" = 1 THEN 'device'
        ELSE 'channel' END`);
    await q.query(`
      UPDATE "devices" d SET "channel_count" = (SELECT count(*)::int FROM "channels" c WHERE c."device_id" = d."device_id" AND c."kind" = 'channel')
      WHERE EXISTS (SELECT 1 FROM "channels" c WHERE c."device_id" = d."device_id" AND c."kind" <> 'channel')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "channels" DROP COLUMN "kind"`);
    await q.query(`ALTER TABLE "channels" DROP COLUMN "business_group_id"`);
  }
}
