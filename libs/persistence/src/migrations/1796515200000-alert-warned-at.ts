import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When the onset warning (congestion.forming) that announced an alert went out; null when none did
 * (docs/congestion.md, "Onset warning"). Hand-written; must equal AlertEntity (repository.contract.ts checks there is
 * no pending change).
 */
export class AlertWarnedAt1796515200000 implements MigrationInterface {
  readonly name = 'AlertWarnedAt1796515200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "alerts" ADD "warned_at" TIMESTAMP WITH TIME ZONE`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "alerts" DROP COLUMN "warned_at"`);
  }
}
