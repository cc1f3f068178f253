"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.InitialSchema1795824000000 = void 0;
/**
 * Devices, their catalog channels, per-device settings and generated app secrets.
 * Hand-written; must stay equal to the entities (a spec checks that TypeORM sees no pending change).
 */
class InitialSchema1795824000000 {
    name = 'InitialSchema1795824000000';
    async up(q) {
        await q.query(`
      CREATE TABLE "devices" (
        "device_id" character varying(32) NOT NULL,
        "name" character varying,
        "transport" character varying(8) NOT NULL,
        "remote_host" character varying(64) NOT NULL,
        "remote_port" integer NOT NULL,
        "local_host" character varying(64) NOT NULL,
        "local_port" integer NOT NULL,
        "contact_uri" character varying,
        "expires" integer NOT NULL DEFAULT 3600,
        "registered_at" TIMESTAMP WITH TIME ZONE,
        "registration_expires_at" TIMESTAMP WITH TIME ZONE,
        "last_keepalive_at" TIMESTAMP WITH TIME ZONE,
        "online" boolean NOT NULL DEFAULT false,
        "manufacturer" character varying,
        "model" character varying,
        "firmware" character varying,
        "channel_count" integer NOT NULL DEFAULT 0,
        "catalog_synced_at" TIMESTAMP WITH TIME ZONE,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "pk_devices" PRIMARY KEY ("device_id"),
        CONSTRAINT "chk_devices_transport" CHECK ("transport" IN ('udp', 'tcp'))
      )`);
        await q.query(`
      CREATE TABLE "channels" (
        "device_id" character varying(32) NOT NULL,
        "channel_id" character varying(64) NOT NULL,
        "name" character varying,
        "manufacturer" character varying,
        "model" character varying,
        "owner" character varying,
        "civil_code" character varying,
        "block" character varying,
        "address" character varying,
        "parental" integer,
        "parent_id" character varying,
        "ip_address" character varying,
        "port" integer,
        "status" character varying,
        "longitude" double precision,
        "latitude" double precision,
        "ptz_type" integer,
        "raw" jsonb,
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "pk_channels" PRIMARY KEY ("device_id", "channel_id"),
        CONSTRAINT "fk_channels_device" FOREIGN KEY ("device_id")
          REFERENCES "devices" ("device_id") ON DELETE CASCADE ON UPDATE NO ACTION
      )`);
        await q.query(`CREATE INDEX "idx_channels_device_parent" ON "channels" ("device_id", "parent_id")`);
        await q.query(`CREATE INDEX "idx_channels_civil_code" ON "channels" ("civil_code")`);
        await q.query(`
      CREATE TABLE "device_settings" (
        "device_id" character varying(32) NOT NULL,
        "password" character varying,
        "charset" character varying(16) NOT NULL DEFAULT 'auto',
        "stream_transport" character varying(16) NOT NULL DEFAULT 'tcp-passive',
        CONSTRAINT "pk_device_settings" PRIMARY KEY ("device_id"),
        CONSTRAINT "fk_device_settings_device" FOREIGN KEY ("device_id")
          REFERENCES "devices" ("device_id") ON DELETE CASCADE ON UPDATE NO ACTION,
        CONSTRAINT "chk_device_settings_charset" CHECK ("charset" IN ('auto', 'GB2312', 'GBK', 'GB18030', 'UTF-8')),
        CONSTRAINT "chk_device_settings_stream_transport" CHECK ("stream_transport" IN ('udp', 'tcp-passive', 'tcp-active'))
      )`);
        await q.query(`
      CREATE TABLE "app_secrets" (
        "key" character varying(128) NOT NULL,
        "value" text NOT NULL,
        CONSTRAINT "pk_app_secrets" PRIMARY KEY ("key")
      )`);
    }
    async down(q) {
        await q.query(`DROP TABLE "app_secrets"`);
        await q.query(`DROP TABLE "device_settings"`);
        await q.query(`DROP TABLE "channels"`);
        await q.query(`DROP TABLE "devices"`);
    }
}
exports.InitialSchema1795824000000 = InitialSchema1795824000000;
//# sourceMappingURL=1795824000000-initial-schema.js.map