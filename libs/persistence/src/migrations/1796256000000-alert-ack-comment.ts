import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The operator's comment on acknowledging an alert (POST /api/alerts/:id/ack {comment}). Hand-written; must equal
 * AlertEntity (repository.contract.ts checks there is no pending change).
 */
export class AlertAckComment1796256000000 implements MigrationInterface {
  readonly name = 'AlertAckComment1796256000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "alerts" ADD "ack_comment" character varying(500)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "alerts" DROP COLUMN "ack_comment"`);
  }
}
