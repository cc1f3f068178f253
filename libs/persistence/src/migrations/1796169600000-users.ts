import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Users and roles, API keys and the audit log. Hand-written; must equal UserEntity, ApiKeyEntity and
 * AuditEntryEntity (repository.contract.ts checks there is no pending change).
 */
export class Users1796169600000 implements MigrationInterface {
  readonly name = 'Users1796169600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "users" (
        "username" character varying(64) NOT NULL,
        "password_hash" character varying(256) NOT NULL,
        "role" character varying(16) NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "chk_users_role" CHECK ("role" IN ('admin', 'operator', 'viewer')),
        CONSTRAINT "pk_users" PRIMARY KEY ("username")
      )`);
    await q.query(`
      CREATE TABLE "api_keys" (
        "id" uuid NOT NULL,
        "name" character varying(64) NOT NULL,
        "role" character varying(16) NOT NULL,
        "key_hash" character(64) NOT NULL,
        "key_prefix" character varying(16) NOT NULL,
        "created_by" character varying(128) NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "chk_api_keys_role" CHECK ("role" IN ('admin', 'operator', 'viewer')),
        CONSTRAINT "pk_api_keys" PRIMARY KEY ("id")
      )`);
    await q.query(`CREATE UNIQUE INDEX "uq_api_keys_key_hash" ON "api_keys" ("key_hash")`);
    await q.query(`
      CREATE TABLE "audit_log" (
        "id" uuid NOT NULL,
        "at" TIMESTAMP WITH TIME ZONE NOT NULL,
        "actor" character varying(128) NOT NULL,
        "role" character varying(16) NOT NULL,
        "action" character varying(64) NOT NULL,
        "target" character varying(256),
        "outcome" character varying(64) NOT NULL,
        "detail" character varying(256),
        "node_id" character varying(64),
        CONSTRAINT "pk_audit_log" PRIMARY KEY ("id")
      )`);
    await q.query(`CREATE INDEX "idx_audit_log_at" ON "audit_log" ("at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "audit_log"`);
    await q.query(`DROP TABLE "api_keys"`);
    await q.query(`DROP TABLE "users"`);
  }
}
