import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { createRequest, newBranch, newCallId, newTag, type SipRequest, type SipResponse } from '@gb/gb28181';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { SipEndpoint, type RequestHandler, type RequestInterceptor } from './sip-endpoint';
import type { SipFlow } from './sip-flow';
import { SipTransport } from './sip-transport';

/** An out-of-dialog request to a device. In-dialog requests (ACK, BYE, INFO) are built by their Dialog. */
export interface OutgoingMessage {
  method: 'MESSAGE' | 'INVITE' | 'SUBSCRIBE';
  /** Device or channel ID the request is addressed to. */
  targetId: string;
  flow: SipFlow;
  body?: Buffer;
  contentType?: string;
  headers?: [string, string][];
}

/** Owns the SIP listeners and the transaction layer; other services register method handlers on it. */
@Injectable()
export class SipService implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger('sip');
  readonly transport: SipTransport;
  readonly endpoint: SipEndpoint;
  private cseq = 1;

  constructor(@Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig) {
    this.transport = new SipTransport({
      host: cfg.SIP_HOST,
      port: cfg.SIP_PORT,
      maxMessageBytes: cfg.SIP_MAX_MESSAGE_BYTES,
      tcpFirstMessageTimeoutMs: cfg.SIP_TCP_FIRST_MESSAGE_TIMEOUT_MS,
      tcpMessageTimeoutMs: cfg.SIP_TCP_MESSAGE_TIMEOUT_MS,
      tcpIdleTimeoutMs: cfg.SIP_TCP_IDLE_TIMEOUT_MS,
      maxTcpConnections: cfg.SIP_TCP_MAX_CONNECTIONS,
      maxTcpConnectionsPerHost: cfg.SIP_TCP_MAX_CONNECTIONS_PER_HOST,
      tcpAcceptRatePerHost: cfg.SIP_TCP_ACCEPT_RATE_PER_HOST,
      tcpReservedPercent: cfg.SIP_TCP_RESERVED_PERCENT,
      advertisedHost: cfg.SIP_ADVERTISED_HOST,
    });
    this.endpoint = new SipEndpoint(this.transport);
    this.endpoint.onHandlerError = (e, req) => this.log.error(`handler for ${req.method} failed: ${(e as Error).stack ?? e}`);
    // INVITEs we gave up on: what the protocol library did about them (CANCEL, ACK + BYE of a late 2xx).
    this.endpoint.onInviteEvent = (e) => {
      const what = `INVITE ${e.callId}: ${e.type}${e.remoteTag ? ` (to-tag ${e.remoteTag})` : ''}${e.status ? ` ${e.status}` : ''}${e.detail ? `: ${e.detail}` : ''}`;
      if (e.type === 'error' || e.type === 'bye-timeout') this.log.warn(what);
      else if (e.type !== 'provisional' && e.type !== 'ack-resent') this.log.log(what);
    };
    this.transport.on('malformed', (m) => this.log.debug(`dropped malformed SIP from ${m.flow.remoteHost}:${m.flow.remotePort} (${m.code}: ${m.message})`));
    this.transport.on('tcpLimit', (e) => this.log.debug({ msg: 'SIP TCP connection refused or closed at a limit', code: e.code, remoteHost: e.remoteHost, remotePort: e.remotePort }));
  }

  async onModuleInit(): Promise<void> {
    await this.transport.listen();
    this.log.log(`SIP listening on ${this.cfg.SIP_HOST}:${this.transport.port} (UDP+TCP), id ${this.cfg.SIP_ID}, domain ${this.cfg.SIP_DOMAIN}`);
  }

  get port(): number {
    return this.transport.port;
  }

  on(method: string, handler: RequestHandler): void {
    this.endpoint.on(method, handler);
  }

  /** A look at `method` requests before the handler; returning true claims the request (SipEndpoint.intercept). */
  intercept(method: string, fn: RequestInterceptor): void {
    this.endpoint.intercept(method, fn);
  }

  /** Builds and sends a request from the platform to a device; resolves with its final response. */
  send(m: OutgoingMessage): Promise<SipResponse> {
    return this.endpoint.request(this.build(m), m.flow);
  }

  /**
   * A flow to a peer we call first and that is no registered device (a superior platform, docs/cascade.md): our
   * address towards it and our SIP port. TCP: the transport opens the connection on the first send.
   */
  flowTo(transport: 'udp' | 'tcp', host: string, port: number): SipFlow {
    return { transport, remoteHost: host, remotePort: port, localHost: this.transport.localHostFor(host), localPort: this.transport.port };
  }

  /** Sends a request the caller built (REGISTER to a superior, its keepalives) along `flow`; resolves with its final response. */
  request(req: SipRequest, flow: SipFlow): Promise<SipResponse> {
    return this.endpoint.request(req, flow);
  }

  build(m: OutgoingMessage): SipRequest {
    const localHost = m.flow.localHost;
    const localPort = this.transport.port;
    return createRequest({
      method: m.method,
      uri: `sip:${m.targetId}@${m.flow.remoteHost}:${m.flow.remotePort}`,
      via: { transport: m.flow.transport.toUpperCase(), host: localHost, port: localPort, branch: newBranch() },
      from: { uri: `sip:${this.cfg.SIP_ID}@${this.cfg.SIP_DOMAIN}`, tag: newTag() },
      to: { uri: `sip:${m.targetId}@${this.cfg.SIP_DOMAIN}` },
      callId: newCallId(localHost),
      cseq: this.nextCseq(),
      contact: this.contactFor(m.flow),
      maxForwards: 70,
      headers: m.headers,
      body: m.body,
      contentType: m.contentType,
    });
  }

  /** Our Contact toward a flow: the gateway's ID at the local address the peer reached and our SIP port. */
  contactFor(flow: SipFlow): string {
    return `<sip:${this.cfg.SIP_ID}@${flow.localHost}:${this.transport.port}>`;
  }

  private nextCseq(): number {
    this.cseq = this.cseq >= 2 ** 31 - 1 ? 1 : this.cseq + 1;
    return this.cseq;
  }

  async onApplicationShutdown(): Promise<void> {
    // Responses (a late 2xx to an INVITE given up at shutdown) are still handled until the sockets are closed.
    this.endpoint.stopRequests();
    await this.transport.close();
    this.endpoint.close();
  }
}
