import { In, type DataSource, type Repository } from 'typeorm';
import { DeviceSubscriptionSettingsEntity } from '../entities/device-subscription-settings.entity';
import { PersistenceError, PG_FOREIGN_KEY_VIOLATION, pgErrorCode } from '../persistence-error';

export type DeviceSubscriptionSettingsRow = Omit<DeviceSubscriptionSettingsEntity, 'device'>;

/** Per-device subscription choices (null columns and missing rows follow the config). */
export class DeviceSubscriptionSettingsRepository {
  private readonly repo: Repository<DeviceSubscriptionSettingsEntity>;

  constructor(dataSource: DataSource) {
    this.repo = dataSource.getRepository(DeviceSubscriptionSettingsEntity);
  }

  async get(deviceId: string): Promise<DeviceSubscriptionSettingsRow | null> {
    const r = await this.repo.findOneBy({ deviceId });
    return r ? plain(r) : null;
  }

  /** The rows of those of `deviceIds` that have one, in one query, by device ID. */
  async getMany(deviceIds: readonly string[]): Promise<Map<string, DeviceSubscriptionSettingsRow>> {
    if (deviceIds.length === 0) return new Map();
    const rows = await this.repo.findBy({ deviceId: In([...deviceIds]) });
    return new Map(rows.map((r) => [r.deviceId, plain(r)]));
  }

  /** Creates or replaces the device's row. PersistenceError DEVICE_NOT_FOUND when the device does not exist. */
  async put(row: DeviceSubscriptionSettingsRow): Promise<DeviceSubscriptionSettingsRow> {
    try {
      await this.repo.upsert(this.repo.create(row), ['deviceId']);
    } catch (e) {
      if (pgErrorCode(e) === PG_FOREIGN_KEY_VIOLATION) throw new PersistenceError('DEVICE_NOT_FOUND', `device ${row.deviceId} does not exist`, { cause: e });
      throw e;
    }
    return (await this.get(row.deviceId))!;
  }
}

function plain(r: DeviceSubscriptionSettingsEntity): DeviceSubscriptionSettingsRow {
  return { deviceId: r.deviceId, catalog: r.catalog, alarm: r.alarm, mobilePosition: r.mobilePosition, positionIntervalS: r.positionIntervalS, updatedAt: r.updatedAt };
}
