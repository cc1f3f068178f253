import type { AddressInfo } from 'node:net';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { DevicesService } from '../devices/devices.service';
import { DeviceMessagesService } from '../devices/device-messages.service';
import { RegistrarService } from '../devices/registrar.service';
import { EventBus } from '../events/event-bus';
import { runningFfmpegRemuxers } from '../media/ffmpeg-remuxer';
import { runningAudioTranscoders } from '../media/camera-audio.transcoder';
import { SignallingAuthService } from '../devices/signalling-auth.service';
import { SipService } from '../sip/sip.service';
import { StreamsService } from '../streams/streams.service';
import { H264RenditionsService } from '../streams/h264-renditions.service';
import { GatewayMetrics } from './gateway-metrics';
import { MetricsHttpServer } from '@gb/runtime';
import { StreamTally } from './stream-tally';

/**
 * Prometheus metrics of this gateway on their own listener, http://METRICS_HOST:METRICS_PORT/metrics (not the API
 * port): started at module init unless METRICS_ENABLED is false, closed at shutdown. Values are read from the
 * devices, streams, SIP, registrar, MESSAGE handler and signalling-guard state when scraped; streams are tallied as
 * they are created (first-frame time, RTP totals that survive the stream), alerts from their events.
 */
@Injectable()
export class MetricsService implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger('metrics');
  readonly metrics: GatewayMetrics;
  private server?: MetricsHttpServer;
  private readonly tally: StreamTally;
  /** Congestion alerts raised and not cleared (alert.raised / alert.cleared; the gateway clears stale ones at start). */
  private readonly activeAlerts = new Set<string>();
  private readonly unsubscribe: () => void;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    devices: DevicesService,
    streams: StreamsService,
    renditions: H264RenditionsService,
    sip: SipService,
    signalling: SignallingAuthService,
    messages: DeviceMessagesService,
    events: EventBus,
    modules: ModuleRef,
  ) {
    // The registrar is a provider of the core module that it does not export: looked up once, at the first scrape.
    let registrar: RegistrarService | undefined;
    const registrations = () => {
      registrar ??= modules.get(RegistrarService, { strict: false });
      return registrar?.stats.registrations ?? 0;
    };
    this.tally = new StreamTally((s, seconds) => this.metrics.observeFirstFrame(s.kind, s.transport, seconds));
    streams.onSessionCreated = (s) => this.tally.track(s);
    this.unsubscribe = events.subscribe((e) => {
      if (e.type === 'alert.raised') this.activeAlerts.add(e.data.id);
      else if (e.type === 'alert.cleared') this.activeAlerts.delete(e.data.id);
    });
    this.metrics = new GatewayMetrics({
      devices: () => [...devices.registry.all()].map((s) => ({ online: s.online, transport: s.flow.transport })),
      streams: () => streams.summaries(),
      streamResources: () => streams.resources(),
      rtpPorts: () => streams.portStats(),
      sipTransactions: () => sip.endpoint.stats,
      sipTransport: () => ({ ...sip.transport.stats, openTcpConnections: sip.transport.openTcpConnections }),
      signalling: () => ({ totals: signalling.guard.totals, activeBans: signalling.guard.activeBans(Date.now()) }),
      registrations,
      keepalives: () => messages.stats.keepalives,
      rtp: () => this.tally.rtp(),
      viewers: () => this.tally.viewers(),
      ffmpegChildren: () => runningFfmpegRemuxers() + runningAudioTranscoders() + renditions.size,
      transcodes: () => ({ running: renditions.size, limit: renditions.limit }),
      activeAlerts: () => this.activeAlerts.size,
    });
    sip.transport.on('tcpLimit', (e) => this.metrics.countTcpLimit(e.code));
  }

  async onModuleInit(): Promise<void> {
    if (!this.cfg.METRICS_ENABLED) return;
    const server = new MetricsHttpServer(this.metrics, (e) => this.log.error(`collecting metrics failed: ${(e as Error).stack ?? e}`));
    try {
      await server.listen(this.cfg.METRICS_PORT, this.cfg.METRICS_HOST);
    } catch (e) {
      throw new Error(`metrics listener on ${this.cfg.METRICS_HOST}:${this.cfg.METRICS_PORT} failed (METRICS_HOST/METRICS_PORT; METRICS_ENABLED=false turns it off): ${(e as Error).message}`, { cause: e });
    }
    this.server = server;
    this.log.log(`metrics at http://${this.cfg.METRICS_HOST}:${server.port}/metrics`);
  }

  /** The bound port of the metrics listener; undefined when METRICS_ENABLED is false. */
  get port(): number | undefined {
    return this.server?.port;
  }

  /** Where the metrics listener is bound; undefined when METRICS_ENABLED is false. */
  get address(): AddressInfo | undefined {
    return this.server?.address;
  }

  async onApplicationShutdown(): Promise<void> {
    this.unsubscribe();
    await this.server?.close();
  }
}
