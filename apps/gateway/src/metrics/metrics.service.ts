import type { AddressInfo } from 'node:net';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { DevicesService } from '../devices/devices.service';
import { SignallingAuthService } from '../devices/signalling-auth.service';
import { SipService } from '../sip/sip.service';
import { StreamsService } from '../streams/streams.service';
import { GatewayMetrics } from './gateway-metrics';
import { MetricsHttpServer } from './metrics-http.server';

/**
 * Prometheus metrics of this gateway on their own listener, http://METRICS_HOST:METRICS_PORT/metrics (not the API
 * port): started at module init unless METRICS_ENABLED is false, closed at shutdown. Values are read from the
 * devices, streams, SIP and signalling-guard state when scraped.
 */
@Injectable()
export class MetricsService implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger('metrics');
  readonly metrics: GatewayMetrics;
  private server?: MetricsHttpServer;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    devices: DevicesService,
    streams: StreamsService,
    sip: SipService,
    signalling: SignallingAuthService,
  ) {
    this.metrics = new GatewayMetrics({
      devices: () => [...devices.registry.all()].map((s) => ({ online: s.online, transport: s.flow.transport })),
      streams: () => streams.summaries(),
      streamResources: () => streams.resources(),
      rtpPorts: () => streams.portStats(),
      sipTransactions: () => sip.endpoint.stats,
      sipTransport: () => ({ ...sip.transport.stats, openTcpConnections: sip.transport.openTcpConnections }),
      signalling: () => ({ totals: signalling.guard.totals, activeBans: signalling.guard.activeBans(Date.now()) }),
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
    await this.server?.close();
  }
}
