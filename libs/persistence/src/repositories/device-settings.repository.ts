import { In, type DataSource, type Repository } from 'typeorm';
import { DEFAULT_DEVICE_SETTINGS, DeviceSettingsEntity } from '../entities/device-settings.entity';
import { PersistenceError, PG_FOREIGN_KEY_VIOLATION, pgErrorCode } from '../persistence-error';

export type DeviceSettings = Omit<DeviceSettingsEntity, 'device'>;
export type DeviceSettingsPatch = Partial<Omit<DeviceSettings, 'deviceId'>>;

/** Per-device settings; a device without a stored row gets DEFAULT_DEVICE_SETTINGS. */
export class DeviceSettingsRepository {
  private readonly repo: Repository<DeviceSettingsEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.repo = dataSource.getRepository(DeviceSettingsEntity);
  }

  async get(deviceId: string): Promise<DeviceSettings> {
    const row = await this.repo.findOneBy({ deviceId });
    return row ? plain(row) : { deviceId, ...DEFAULT_DEVICE_SETTINGS };
  }

  /**
   * Without ids: every stored row. With ids: one entry per id, defaults where none is stored.
   */
  async getMany(deviceIds?: readonly string[]): Promise<DeviceSettings[]> {
    if (!deviceIds) return (await this.repo.find({ order: { deviceId: 'ASC' } })).map(plain);
    if (deviceIds.length === 0) return [];
    const stored = new Map((await this.repo.findBy({ deviceId: In([...deviceIds]) })).map((r) => [r.deviceId, r]));
    return deviceIds.map((deviceId) => {
      const row = stored.get(deviceId);
      return row ? plain(row) : { deviceId, ...DEFAULT_DEVICE_SETTINGS };
    });
  }

  /**
   * Applies the patch (undefined = keep; `password: null` clears it) and returns the result.
   * Throws PersistenceError DEVICE_NOT_FOUND when the device does not exist.
   */
  async update(deviceId: string, patch: DeviceSettingsPatch): Promise<DeviceSettings> {
    const current = await this.get(deviceId);
    const next: DeviceSettings = {
      deviceId,
      password: patch.password === undefined ? current.password : patch.password,
      charset: patch.charset ?? current.charset,
      streamTransport: patch.streamTransport ?? current.streamTransport,
    };
    // Only the patched columns are overwritten on conflict, so concurrent patches of different fields both land.
    const sets = (['password', 'charset', 'streamTransport'] as const)
      .filter((k) => patch[k] !== undefined)
      .map((k) => {
        const c = k === 'streamTransport' ? 'stream_transport' : k;
        return `"${c}" = EXCLUDED."${c}"`;
      });
    try {
      const rows = (await this.dataSource.query(
        `INSERT INTO "device_settings" ("device_id", "password", "charset", "stream_transport") VALUES ($1, $2, $3, $4)
         ON CONFLICT ("device_id") DO ${sets.length ? `UPDATE SET ${sets.join(', ')}` : 'NOTHING'}
         RETURNING "password", "charset", "stream_transport"`,
        [deviceId, next.password, next.charset, next.streamTransport],
      )) as Array<{ password: string | null; charset: DeviceSettings['charset']; stream_transport: DeviceSettings['streamTransport'] }>;
      if (rows.length === 0) return this.get(deviceId);
      return { deviceId, password: rows[0].password, charset: rows[0].charset, streamTransport: rows[0].stream_transport };
    } catch (e) {
      if (pgErrorCode(e) === PG_FOREIGN_KEY_VIOLATION) {
        throw new PersistenceError('DEVICE_NOT_FOUND', `device ${deviceId} does not exist`, { cause: e });
      }
      throw e;
    }
  }
}

function plain(row: DeviceSettingsEntity): DeviceSettings {
  return { deviceId: row.deviceId, password: row.password, charset: row.charset, streamTransport: row.streamTransport };
}
