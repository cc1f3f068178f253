export { AppSecretEntity } from './entities/app-secret.entity';
export { ChannelEntity } from './entities/channel.entity';
export {
  DEFAULT_DEVICE_SETTINGS,
  DEVICE_CHARSETS,
  DeviceSettingsEntity,
  STREAM_TRANSPORTS,
  type DeviceCharset,
  type StreamTransport,
} from './entities/device-settings.entity';
export { DeviceEntity, type DeviceTransport } from './entities/device.entity';
export { InitialSchema1795824000000 } from './migrations/1795824000000-initial-schema';
export { EMBEDDED_LOCK_FILE, EMBEDDED_PGDATA_DIR } from './embedded-postgres';
export {
  DEFAULT_POOL_SIZE,
  ENTITIES,
  MIGRATIONS,
  MIGRATION_LOCK_KEY,
  openDatabase,
  type Database,
  type OpenDatabaseOptions,
} from './open-database';
export { PersistenceError, isPersistenceError, type PersistenceErrorCode } from './persistence-error';
export { CHANNEL_UPSERT_CHUNK_ROWS, ChannelRepository, type CatalogWrite, type ChannelRow } from './repositories/channel.repository';
export {
  DeviceSettingsRepository,
  type DeviceSettings,
  type DeviceSettingsPatch,
} from './repositories/device-settings.repository';
export {
  DeviceRepository,
  LIVENESS_CHUNK_ROWS,
  UPSERT_CHUNK_ROWS,
  type DeviceInfoPatch,
  type DeviceRegistration,
  type LivenessRow,
} from './repositories/device.repository';
export { SecretRepository } from './repositories/secret.repository';
export { RoiEntity } from './entities/roi.entity';
export { CongestionSampleEntity } from './entities/congestion-sample.entity';
export { AlertEntity } from './entities/alert.entity';
export { Congestion1795910400000 } from './migrations/1795910400000-congestion';
export { RoiRepository, type RoiRow } from './repositories/roi.repository';
export { CongestionRepository, MAX_HISTORY_ROWS, SAMPLE_INSERT_CHUNK_ROWS, type CongestionSampleRow } from './repositories/congestion.repository';
export { AlertRepository, MAX_ALERTS_LISTED, type AlertPatch, type AlertRow, type NewAlert } from './repositories/alert.repository';
export { WatchEntity } from './entities/watch.entity';
export { Watches1795996800000 } from './migrations/1795996800000-watches';
export { WatchRepository, type WatchRow } from './repositories/watch.repository';
export { NodeEntity } from './entities/node.entity';
export { Nodes1796083200000 } from './migrations/1796083200000-nodes';
export { NodeRepository, type NodeHeartbeat, type NodeRow } from './repositories/node.repository';
export { UserEntity } from './entities/user.entity';
export { ApiKeyEntity } from './entities/api-key.entity';
export { AuditEntryEntity } from './entities/audit-entry.entity';
export { Users1796169600000 } from './migrations/1796169600000-users';
export { MAX_USERS_LISTED, UserRepository, type NewUser, type UserPatch, type UserRow, type UserWriteGuard, type UserWriteResult } from './repositories/user.repository';
export { ApiKeyRepository, MAX_API_KEYS_LISTED, type ApiKeyRow, type NewApiKey } from './repositories/api-key.repository';
export { AUDIT_INSERT_CHUNK_ROWS, AuditRepository, MAX_AUDIT_LISTED, type AuditRow, type NewAuditEntry } from './repositories/audit.repository';
export type { DeviceClaim } from './repositories/device.repository';
export { MapPlanEntity } from './entities/map-plan.entity';
export { MapSettingsEntity } from './entities/map-settings.entity';
export { MapPositionEntity } from './entities/map-position.entity';
export { Map1796342400000 } from './migrations/1796342400000-map';
export { MAX_MAP_POSITIONS_LISTED, MapRepository, type MapPlanRow, type MapPositionRow, type MapSettingsRow } from './repositories/map.repository';
export { ExclusionZoneEntity } from './entities/exclusion-zone.entity';
export { ExclusionZones1796428800000 } from './migrations/1796428800000-exclusion-zones';
export { ExclusionZoneRepository, type ExclusionZoneRow } from './repositories/exclusion-zone.repository';
export { PlatformEntity } from './entities/platform.entity';
export { Platforms1796601600000 } from './migrations/1796601600000-platforms';
export {
  MAX_PLATFORMS_LISTED,
  PlatformRepository,
  type NewPlatform,
  type PlatformPatch,
  type PlatformRow,
  type PlatformState,
  type PlatformStatePatch,
  type PlatformTransport,
} from './repositories/platform.repository';
export { StreamProxyEntity } from './entities/stream-proxy.entity';
export { StreamProxies1796774400000 } from './migrations/1796774400000-stream-proxies';
export { StreamProxyPush1796864400000 } from './migrations/1796864400000-stream-proxy-push';
export {
  MAX_STREAM_PROXIES,
  MAX_STREAM_PROXY_SERIAL,
  StreamProxyRepository,
  type NewStreamProxy,
  type StreamProxyMode,
  type StreamProxyPatch,
  type StreamProxyRow,
} from './repositories/stream-proxy.repository';
export { RecordPlanEntity, type RecordScheduleRange } from './entities/record-plan.entity';
export { RecordSegmentEntity } from './entities/record-segment.entity';
export { Recordings1796947200000 } from './migrations/1796947200000-recordings';
export {
  MAX_RECORD_PLANS,
  MAX_SEGMENTS_LISTED,
  RecordingRepository,
  type RecordPlanMode,
  type RecordPlanRow,
  type RecordSegmentRow,
} from './repositories/recording.repository';
export { DeviceAlarmEntity } from './entities/device-alarm.entity';
export { ChannelPositionEntity } from './entities/channel-position.entity';
export { DeviceEvents1797033600000 } from './migrations/1797033600000-device-events';
export {
  ALARM_DELETE_CHUNK_ROWS,
  DeviceAlarmRepository,
  MAX_DEVICE_ALARMS_PAGE,
  type DeviceAlarmFilter,
  type DeviceAlarmRow,
  type DeviceAlarmState,
  type NewDeviceAlarm,
} from './repositories/device-alarm.repository';
export {
  ChannelPositionRepository,
  MAX_LATEST_POSITIONS,
  MAX_POSITIONS_LISTED,
  POSITION_DELETE_CHUNK_ROWS,
  type ChannelPositionRow,
  type NewChannelPosition,
} from './repositories/channel-position.repository';
export { DeviceSubscriptionSettingsEntity } from './entities/device-subscription-settings.entity';
export { DeviceSubscriptionSettings1797120000000 } from './migrations/1797120000000-device-subscription-settings';
export { DeviceSubscriptionSettingsRepository, type DeviceSubscriptionSettingsRow } from './repositories/device-subscription-settings.repository';
