import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-device event subscriptions (issue 13 item 1): which of Catalog, Alarm and MobilePosition the gateway subscribes
 * to for one device, and the position interval (null = the config). Hand-written; must equal
 * DeviceSubscriptionSettingsEntity (device-subscription-settings.repository.spec.ts checks there is no pending change).
 */
export class DeviceSubscriptionSettings1797120000000 implements MigrationInterface {
  readonly name = 'DeviceSubscriptionSettings1797120000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "device_subscription_settings" (
        "device_id" character varying(32) NOT NULL,
        "catalog" boolean,
        "alarm" boolean,
        "mobile_position" boolean,
        "position_interval_s" integer,
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "pk_device_subscription_settings" PRIMARY KEY ("device_id"),
        CONSTRAINT "fk_device_subscription_settings_device" FOREIGN KEY ("device_id")
          REFERENCES "devices" ("device_id") ON DELETE CASCADE ON UPDATE NO ACTION
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "device_subscription_settings"`);
  }
}
