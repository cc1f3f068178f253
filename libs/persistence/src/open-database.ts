import { DataSource } from 'typeorm';
import { AppSecretEntity } from './entities/app-secret.entity';
import { ChannelEntity } from './entities/channel.entity';
import { DeviceSettingsEntity } from './entities/device-settings.entity';
import { DeviceEntity } from './entities/device.entity';
import { EmbeddedPostgres, type EmbeddedHost } from './embedded-postgres';
import { InitialSchema1795824000000 } from './migrations/1795824000000-initial-schema';
import { PersistenceError } from './persistence-error';
import { ChannelRepository } from './repositories/channel.repository';
import { DeviceSettingsRepository } from './repositories/device-settings.repository';
import { DeviceRepository } from './repositories/device.repository';
import { SecretRepository } from './repositories/secret.repository';
import { RoiEntity } from './entities/roi.entity';
import { CongestionSampleEntity } from './entities/congestion-sample.entity';
import { AlertEntity } from './entities/alert.entity';
import { Congestion1795910400000 } from './migrations/1795910400000-congestion';
import { RoiRepository } from './repositories/roi.repository';
import { CongestionRepository } from './repositories/congestion.repository';
import { AlertRepository } from './repositories/alert.repository';
import { WatchEntity } from './entities/watch.entity';
import { Watches1795996800000 } from './migrations/1795996800000-watches';
import { WatchRepository } from './repositories/watch.repository';
import { NodeEntity } from './entities/node.entity';
import { Nodes1796083200000 } from './migrations/1796083200000-nodes';
import { NodeRepository } from './repositories/node.repository';
import { UserEntity } from './entities/user.entity';
import { ApiKeyEntity } from './entities/api-key.entity';
import { AuditEntryEntity } from './entities/audit-entry.entity';
import { Users1796169600000 } from './migrations/1796169600000-users';
import { AlertAckComment1796256000000 } from './migrations/1796256000000-alert-ack-comment';
import { AlertWarnedAt1796515200000 } from './migrations/1796515200000-alert-warned-at';
import { UserRepository } from './repositories/user.repository';
import { ApiKeyRepository } from './repositories/api-key.repository';
import { AuditRepository } from './repositories/audit.repository';
import { MapPlanEntity } from './entities/map-plan.entity';
import { MapSettingsEntity } from './entities/map-settings.entity';
import { MapPositionEntity } from './entities/map-position.entity';
import { Map1796342400000 } from './migrations/1796342400000-map';
import { MapRepository } from './repositories/map.repository';
import { ExclusionZoneEntity } from './entities/exclusion-zone.entity';
import { ExclusionZones1796428800000 } from './migrations/1796428800000-exclusion-zones';
import { ExclusionZoneRepository } from './repositories/exclusion-zone.repository';
import { PlatformEntity } from './entities/platform.entity';
import { Platforms1796601600000 } from './migrations/1796601600000-platforms';
import { ChannelKinds1796688000000 } from './migrations/1796688000000-channel-kinds';
import { PlatformRepository } from './repositories/platform.repository';
import { StreamProxyEntity } from './entities/stream-proxy.entity';
import { StreamProxies1796774400000 } from './migrations/1796774400000-stream-proxies';
import { StreamProxyPush1796864400000 } from './migrations/1796864400000-stream-proxy-push';
import { Recordings1796947200000 } from './migrations/1796947200000-recordings';
import { RecordPlanEntity } from './entities/record-plan.entity';
import { RecordSegmentEntity } from './entities/record-segment.entity';
import { RecordingRepository } from './repositories/recording.repository';
import { StreamProxyRepository } from './repositories/stream-proxy.repository';
import { DeviceAlarmEntity } from './entities/device-alarm.entity';
import { ChannelPositionEntity } from './entities/channel-position.entity';
import { DeviceEvents1797033600000 } from './migrations/1797033600000-device-events';
import { DeviceAlarmRepository } from './repositories/device-alarm.repository';
import { ChannelPositionRepository } from './repositories/channel-position.repository';
import { DeviceSubscriptionSettingsEntity } from './entities/device-subscription-settings.entity';
import { DeviceSubscriptionSettings1797120000000 } from './migrations/1797120000000-device-subscription-settings';
import { DeviceSubscriptionSettingsRepository } from './repositories/device-subscription-settings.repository';

export const ENTITIES = [DeviceEntity, ChannelEntity, DeviceSettingsEntity, AppSecretEntity, RoiEntity, CongestionSampleEntity, AlertEntity, WatchEntity, NodeEntity, UserEntity, ApiKeyEntity, AuditEntryEntity, MapPlanEntity, MapSettingsEntity, MapPositionEntity, ExclusionZoneEntity, PlatformEntity, StreamProxyEntity, RecordPlanEntity, RecordSegmentEntity, DeviceAlarmEntity, ChannelPositionEntity, DeviceSubscriptionSettingsEntity];
export const MIGRATIONS = [InitialSchema1795824000000, Congestion1795910400000, Watches1795996800000, Nodes1796083200000, Users1796169600000, AlertAckComment1796256000000, Map1796342400000, ExclusionZones1796428800000, AlertWarnedAt1796515200000, Platforms1796601600000, ChannelKinds1796688000000, StreamProxies1796774400000, StreamProxyPush1796864400000, Recordings1796947200000, DeviceEvents1797033600000, DeviceSubscriptionSettings1797120000000];

/** Pool sizes when the caller gives none. Embedded queries run one at a time anyway. */
export const DEFAULT_POOL_SIZE = { postgres: 10, embedded: 4 } as const;
/** pg_advisory_lock key held while migrating, so two gateways sharing one PostgreSQL migrate in turn. */
export const MIGRATION_LOCK_KEY = 2818_1795;

export interface OpenDatabaseOptions {
  /** postgres://… ; unset = embedded PostgreSQL (PGlite) under `dataDir`. */
  databaseUrl?: string;
  /** Embedded mode keeps `<dataDir>/pgdata` and `<dataDir>/pgdata.lock`; created when missing. */
  dataDir: string;
  /** TypeORM query logging. */
  logging?: boolean;
  poolSize?: number;
  /** Tests only: let TypeORM create the schema from the entities instead of running migrations. */
  synchronize?: boolean;
}

export interface Database {
  dataSource: DataSource;
  kind: 'postgres' | 'embedded';
  devices: DeviceRepository;
  channels: ChannelRepository;
  settings: DeviceSettingsRepository;
  secrets: SecretRepository;
  rois: RoiRepository;
  congestion: CongestionRepository;
  alerts: AlertRepository;
  watches: WatchRepository;
  nodes: NodeRepository;
  users: UserRepository;
  apiKeys: ApiKeyRepository;
  audit: AuditRepository;
  map: MapRepository;
  exclusions: ExclusionZoneRepository;
  platforms: PlatformRepository;
  proxies: StreamProxyRepository;
  recordings: RecordingRepository;
  deviceAlarms: DeviceAlarmRepository;
  positions: ChannelPositionRepository;
  subscriptionSettings: DeviceSubscriptionSettingsRepository;
  /** Idempotent: closes the pool, then (embedded) the socket server, PGlite and the data-dir lock. */
  close(): Promise<void>;
}

/**
 * Opens the database and brings its schema up to date (pending migrations run inside one transaction).
 * Errors: PersistenceError DATA_DIR_LOCKED, EMBEDDED_START_FAILED, DATABASE_UNREACHABLE, MIGRATION_FAILED.
 */
export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  const kind = opts.databaseUrl ? 'postgres' : 'embedded';
  const poolSize = opts.poolSize ?? DEFAULT_POOL_SIZE[kind];
  // Room for pool churn: the socket server counts a closed connection until its close event runs.
  const startEmbedded = (runsIn: EmbeddedHost) => EmbeddedPostgres.start(opts.dataDir, poolSize * 2 + 2, runsIn);
  // A first start serves from a child process until the schema is made (see EmbeddedPostgres), then from a worker.
  const firstStart = kind === 'embedded' && !EmbeddedPostgres.exists(opts.dataDir);
  let embedded = kind === 'embedded' ? await startEmbedded(firstStart ? 'process' : 'worker') : undefined;
  let dataSource = await connect(embedded);
  try {
    if (!opts.synchronize) await migrate(dataSource);
    if (embedded?.runsIn === 'process') {
      await dataSource.destroy();
      await embedded.stop();
      embedded = undefined;
      embedded = await startEmbedded('worker');
      dataSource = await connect(embedded);
    }
  } catch (e) {
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    await embedded?.stop().catch(() => undefined);
    throw e;
  }

  /** A DataSource on the embedded server or DATABASE_URL, initialised; when it cannot connect the embedded server is stopped. */
  async function connect(on: EmbeddedPostgres | undefined): Promise<DataSource> {
    const connection = on ? { host: on.host, port: on.port, username: 'postgres', database: 'postgres' } : { url: opts.databaseUrl };
    const ds = new DataSource({
      type: 'postgres',
      ...connection,
      entities: ENTITIES,
      migrations: MIGRATIONS,
      migrationsRun: false,
      migrationsTransactionMode: 'all',
      synchronize: opts.synchronize ?? false,
      installExtensions: false,
      logging: opts.logging ?? false,
      applicationName: 'gb-gateway',
      extra: { max: poolSize },
    });
    try {
      await ds.initialize();
      return ds;
    } catch (e) {
      await on?.stop().catch(() => undefined);
      throw new PersistenceError(
        'DATABASE_UNREACHABLE',
        `cannot connect to ${on ? `embedded PostgreSQL at ${on.host}:${on.port}` : describeUrl(opts.databaseUrl)}: ${messageOf(e)}`,
        { cause: e },
      );
    }
  }

  let closing: Promise<void> | undefined;
  return {
    dataSource,
    kind,
    devices: new DeviceRepository(dataSource),
    channels: new ChannelRepository(dataSource),
    settings: new DeviceSettingsRepository(dataSource),
    secrets: new SecretRepository(dataSource),
    rois: new RoiRepository(dataSource),
    congestion: new CongestionRepository(dataSource),
    alerts: new AlertRepository(dataSource),
    watches: new WatchRepository(dataSource),
    nodes: new NodeRepository(dataSource),
    users: new UserRepository(dataSource),
    apiKeys: new ApiKeyRepository(dataSource),
    audit: new AuditRepository(dataSource),
    map: new MapRepository(dataSource),
    exclusions: new ExclusionZoneRepository(dataSource),
    platforms: new PlatformRepository(dataSource),
    proxies: new StreamProxyRepository(dataSource),
    recordings: new RecordingRepository(dataSource),
    deviceAlarms: new DeviceAlarmRepository(dataSource),
    positions: new ChannelPositionRepository(dataSource),
    subscriptionSettings: new DeviceSubscriptionSettingsRepository(dataSource),
    close() {
      closing ??= (async () => {
        try {
          if (dataSource.isInitialized) await dataSource.destroy();
        } finally {
          await embedded?.stop();
        }
      })();
      return closing;
    },
  };
}

async function migrate(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await dataSource.runMigrations({ transaction: 'all' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } catch (e) {
    throw new PersistenceError('MIGRATION_FAILED', `schema migration failed: ${messageOf(e)}`, { cause: e });
  } finally {
    await runner.release();
  }
}

/** host:port/db of a URL, never its password (DATABASE_URL is a secret). */
function describeUrl(url: string | undefined): string {
  try {
    const u = new URL(url ?? '');
    return `PostgreSQL at ${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'PostgreSQL (DATABASE_URL is not a valid URL)';
  }
}

function messageOf(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length) return e.errors.map(messageOf).join('; ');
  return e instanceof Error ? e.message : String(e);
}
