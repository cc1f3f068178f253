import { DynamicModule, Global, Module } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from './config/config.schema';
import { EventBus } from './events/event-bus';
import { DATABASE, DatabaseLifecycle, DatabaseSecretStore, databaseProvider } from './database/database.providers';
import { SecretStore } from './auth/secret-store';
import { SipService } from './sip/sip.service';
import { RegistrarService } from './devices/registrar.service';
import { SignallingAuthService } from './devices/signalling-auth.service';
import { RegistrationFailuresModule } from './devices/registration-failures.module';
import { DevicesService } from './devices/devices.service';
import { DeviceQueriesService } from './devices/device-queries.service';
import { CatalogSyncService } from './devices/catalog-sync.service';
import { DeviceMessagesService } from './devices/device-messages.service';
import { DeviceAlarmsService } from './devices/device-alarms.service';
import { ChannelPositionsService } from './devices/channel-positions.service';
import { DeviceDirectory } from './devices/device-directory';
import { DevicesDirectoryService } from './devices/devices-directory.service';
import { ApiModule } from './api/api.module';
import { StreamsModule } from './streams/streams.module';
import { WebRtcModule } from './webrtc/webrtc.module';
import { CongestionModule } from './congestion/congestion.module';
import { RecordsModule } from './records/records.module';
import { WebModule } from './web/web.module';
import { DeviceAlarmsModule } from './devices/device-alarms.module';
import { DeviceControlModule } from './devices/device-control.module';
import { ChannelsListModule } from './devices/channels-list.controller';
import { MetricsModule } from './metrics/metrics.module';
import { NodesService } from './cluster/nodes.service';
import { ClusterBus } from './cluster/cluster-bus';
import { ClusterForwarder } from './cluster/cluster-forwarder';
import { ClusterModule } from './cluster/cluster.module';
import { AccessModule } from './access/access.module';
import { MapModule } from './map/map.module';
import { CascadeModule } from './cascade/cascade.module';
import { ProxiesModule } from './proxies/proxies.module';
import { DeviceSubscriptionsModule } from './devices/device-subscriptions.module';
import { RecordingModule } from './recording/recording.module';
import { VoiceModule } from './voice/voice.module';

/** Config, database, events and the device use-cases, shared by every module. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(cfg: GatewayConfig): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: GATEWAY_CONFIG, useValue: cfg },
        EventBus,
        databaseProvider,
        DatabaseLifecycle,
        { provide: SecretStore, useClass: DatabaseSecretStore },
        SipService,
        NodesService,
        ClusterBus,
        ClusterForwarder,
        DevicesService,
        CatalogSyncService,
        DeviceQueriesService,
        SignallingAuthService,
        RegistrarService,
        DeviceMessagesService,
        DeviceAlarmsService,
        ChannelPositionsService,
        { provide: DeviceDirectory, useClass: DevicesDirectoryService },
      ],
      exports: [GATEWAY_CONFIG, EventBus, DATABASE, SecretStore, SipService, NodesService, ClusterBus, ClusterForwarder, DevicesService, DeviceQueriesService, CatalogSyncService, DeviceMessagesService, DeviceAlarmsService, ChannelPositionsService, SignallingAuthService, DeviceDirectory],
    };
  }
}

@Module({})
export class AppModule {
  static forRoot(cfg: GatewayConfig): DynamicModule {
    return { module: AppModule, imports: [CoreModule.forRoot(cfg), AccessModule, ApiModule, DeviceAlarmsModule, DeviceControlModule, ChannelsListModule, RegistrationFailuresModule, StreamsModule, CongestionModule, RecordsModule, WebModule, MetricsModule, ClusterModule, MapModule, CascadeModule, ProxiesModule, DeviceSubscriptionsModule, WebRtcModule, RecordingModule, VoiceModule] };
  }
}
