import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RegistrationFailureTotals, SipTransport as DeviceTransport, StreamKind, StreamState, StreamTransport } from '@gb/contracts';
import type { SipTransactionStats } from '@gb/gb28181';
import type { PortPoolStats } from '../media/port-pool';
import type { SipTransportStats, TcpDropCode } from '../sip/sip-transport';
import type { TcpRefusalCode } from '../sip/tcp-admission';
import type { StreamDto } from '../streams/stream.types';

/** The gateway state the metrics read when scraped (nothing is counted on a hot path). */
export interface MetricsSources {
  devices(): Iterable<{ online: boolean; transport: DeviceTransport }>;
  streams(): Pick<StreamDto, 'state' | 'remuxRestarts'>[];
  streamResources(): Record<StreamResourceKind, number>;
  rtpPorts(): PortPoolStats;
  sipTransactions(): SipTransactionStats & { abandonedInvites: number; strayResponses: number; retransmittedRequests: number };
  sipTransport(): SipTransportStats & { openTcpConnections: number };
  signalling(): { totals: RegistrationFailureTotals; activeBans: number };
  /** REGISTERs accepted with Expires > 0, since start. */
  registrations(): number;
  /** Keepalive MESSAGEs accepted, since start. */
  keepalives(): number;
  /** RTP accepted for streams (and packets lost), since start. */
  rtp(): { packets: number; bytes: number; lost: number };
  viewers(): { flv: number; hls: number };
  /** ffmpeg children running now. */
  ffmpegChildren(): number;
  /** H.265 -> H.264 transcodes running, and TRANSCODE_MAX. */
  transcodes(): { running: number; limit: number };
  /** Congestion alerts raised by this gateway and not cleared. */
  activeAlerts(): number;
}

export type StreamResourceKind = 'sessions' | 'dialogs' | 'ports' | 'ssrcs' | 'invites';

/** Every stream state, so each is exported (as 0 when no stream is in it); the Record makes the list exhaustive. */
const NO_STREAMS: Readonly<Record<StreamState, number>> = { inviting: 0, answered: 0, 'waiting-media': 0, receiving: 0, playing: 0, closing: 0, failed: 0, closed: 0 };
/** Every 'tcpLimit' code, exported from the start as 0 (a series that appears only at its first event defeats rate()). */
const TCP_LIMIT_CODES: Readonly<Record<TcpRefusalCode | TcpDropCode, true>> = {
  SIP_TCP_ACCEPT_RATE: true, SIP_TCP_HOST_LIMIT: true, SIP_TCP_CAPACITY: true,
  SIP_TCP_FIRST_MESSAGE_TIMEOUT: true, SIP_TCP_MESSAGE_TIMEOUT: true, SIP_TCP_IDLE_TIMEOUT: true, SIP_TCP_EVICTED: true,
};
const NO_DEVICES: Readonly<Record<DeviceTransport, number>> = { udp: 0, tcp: 0 };
/** Seconds; a camera's first keyframe comes within its GOP (1-4 s typical), STREAM_NO_RTP_TIMEOUT_MS bounds the wait. */
const FIRST_FRAME_BUCKETS = [0.25, 0.5, 1, 1.5, 2, 3, 4, 6, 8, 10, 15, 20, 30];

/**
 * A counter whose value is a running total kept elsewhere (the SIP transaction layer, the signalling guard): read at
 * scrape time. Those totals only grow while the process lives, so TYPE counter (and `rate()`) is right for them.
 */
function totalCounter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[], read: () => [Partial<Record<L, string>>, number][]): Counter<L> {
  return new Counter<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) this.inc(labels, value);
    },
  });
}

function gauge<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[], read: () => [Partial<Record<L, string>>, number][]): Gauge<L> {
  return new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) this.set(labels, value);
    },
  });
}

/**
 * One Prometheus registry per gateway (tests run several gateways in one process, so not prom-client's global one):
 * the process metrics of prom-client (CPU, RSS, heap, event-loop lag, handles) and the gateway's own `gb_*` metrics,
 * read from `src` at each scrape. Only event-driven figures are recorded as they happen: `countTcpLimit` and
 * `observeFirstFrame` (a histogram cannot be read from state).
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly tcpLimits: Counter<'code'>;
  private readonly firstFrame: Histogram<'kind' | 'transport'>;

  constructor(src: MetricsSources) {
    const r = this.registry;
    collectDefaultMetrics({ register: r });

    gauge(r, 'gb_devices_online', 'Devices online now, by the transport of their registration', ['transport'], () => {
      const n = { ...NO_DEVICES };
      for (const d of src.devices()) if (d.online) n[d.transport]++;
      return Object.entries(n).map(([transport, v]) => [{ transport }, v]);
    });
    totalCounter(r, 'gb_registrations_total', 'REGISTERs accepted with Expires > 0 (new registrations and refreshes); failures are gb_signalling_failures_total and gb_signalling_dropped_total', [], () => [[{}, src.registrations()]]);
    totalCounter(r, 'gb_keepalives_total', 'Keepalive MESSAGEs accepted from registered devices (GB/T 28181 §9.6)', [], () => [[{}, src.keepalives()]]);
    gauge(r, 'gb_devices_total', 'Devices known to the gateway (registered at least once and not deleted), online or not', [], () => [[{}, [...src.devices()].length]]);

    gauge(r, 'gb_streams', 'Streams by state: open ones, and failed ones while they stay listed (a minute)', ['state'], () => {
      const n = { ...NO_STREAMS };
      for (const s of src.streams()) n[s.state]++;
      return Object.entries(n).map(([state, v]) => [{ state }, v]);
    });
    gauge(r, 'gb_stream_resources', 'What open streams hold: sessions, SIP dialogs, RTP ports, SSRCs, INVITEs awaiting an answer (all 0 when no stream is open)', ['kind'], () =>
      Object.entries(src.streamResources()).map(([kind, v]) => [{ kind }, v]),
    );
    gauge(r, 'gb_stream_remux_restarts', 'ffmpeg remuxer restarts summed over the streams listed now (falls when a stream that restarted ends)', [], () => [
      [{}, src.streams().reduce((sum, s) => sum + s.remuxRestarts, 0)],
    ]);
    totalCounter(r, 'gb_rtp_packets_total', 'RTP packets accepted for streams (their SSRC, from their source), open and closed, since start', [], () => [[{}, src.rtp().packets]]);
    totalCounter(r, 'gb_rtp_bytes_total', 'Bytes of the RTP packets accepted for streams (RTP header included), since start', [], () => [[{}, src.rtp().bytes]]);
    totalCounter(r, 'gb_rtp_packets_lost_total', 'RTP packets missing from the sequence numbers of streams (RFC 3550 §6.4.1 extended sequence), since start', [], () => [[{}, src.rtp().lost]]);
    gauge(r, 'gb_viewers', 'Viewers now: flv = open HTTP-FLV/WebSocket-FLV connections; hls = playing streams without an FLV viewer fetched over HLS (or play-requested) in the last 10 s, one each (HLS has no connection to count)', ['protocol'], () => {
      const v = src.viewers();
      return [[{ protocol: 'flv' }, v.flv], [{ protocol: 'hls' }, v.hls]];
    });
    this.firstFrame = new Histogram({
      name: 'gb_stream_first_frame_seconds',
      help: 'Time from a play request to the stream\'s first keyframe, when viewers can get a picture (state playing), by stream kind and media transport',
      labelNames: ['kind', 'transport'],
      buckets: FIRST_FRAME_BUCKETS,
      registers: [r],
    });
    gauge(r, 'gb_ffmpeg_children', 'ffmpeg child processes running in this process: remuxers (live HLS over ffmpeg, MP4 downloads) and audio transcoders (camera audio to AAC, one per stream with audio), H.265 -> H.264 transcodes; short-lived snapshot encoders are not counted', [], () => [[{}, src.ffmpegChildren()]]);
    gauge(r, 'gb_transcodes', 'H.265 -> H.264 renditions for browsers without HEVC: running (one ffmpeg each, shared by their viewers) and the limit (TRANSCODE_MAX)', ['state'], () => {
      const t = src.transcodes();
      return [[{ state: 'running' }, t.running], [{ state: 'limit' }, t.limit]];
    });
    gauge(r, 'gb_alerts_active', 'Congestion alerts raised by this gateway and not cleared yet (acknowledged ones included)', [], () => [[{}, src.activeAlerts()]]);
    gauge(r, 'gb_rtp_ports', 'RTP port pool (RTP_PORT_MIN..RTP_PORT_MAX, even ports): in use, quarantined after a failed bind, free', ['state'], () => {
      const p = src.rtpPorts();
      return [[{ state: 'in_use' }, p.inUse], [{ state: 'quarantined' }, p.quarantined], [{ state: 'free' }, p.free]];
    });

    gauge(r, 'gb_sip_transactions', 'Live SIP transactions: server (requests we answer) and client (requests we sent)', ['kind'], () => {
      const t = src.sipTransactions();
      return [[{ kind: 'server' }, t.serverTransactions], [{ kind: 'client' }, t.clientTransactions]];
    });
    totalCounter(r, 'gb_sip_stateless_responses_total', 'SIP responses sent without keeping a transaction (refusals of bad requests, and the 503s of the transaction cap)', [], () => [[{}, src.sipTransactions().statelessResponses]]);
    totalCounter(r, 'gb_sip_transaction_cap_hits_total', 'New SIP requests refused with a stateless 503 because the server-transaction cap was reached', [], () => [[{}, src.sipTransactions().capHits]]);
    gauge(r, 'gb_sip_abandoned_invites', 'INVITEs given up on whose late 2xx would still be ACKed and BYEd', [], () => [[{}, src.sipTransactions().abandonedInvites]]);
    totalCounter(r, 'gb_sip_stray_responses_total', 'SIP responses that matched no transaction and no abandoned INVITE (dropped)', [], () => [[{}, src.sipTransactions().strayResponses]]);

    totalCounter(r, 'gb_sip_messages_received_total', 'SIP messages received, by transport', ['transport'], () => {
      const t = src.sipTransport();
      return [[{ transport: 'udp' }, t.udpReceived], [{ transport: 'tcp' }, t.tcpReceived]];
    });
    totalCounter(r, 'gb_sip_malformed_total', 'SIP input that did not parse (dropped; a TCP connection that sent it is closed)', [], () => [[{}, src.sipTransport().malformed]]);
    totalCounter(r, 'gb_sip_sent_total', 'SIP messages sent', [], () => [[{}, src.sipTransport().sent]]);
    totalCounter(r, 'gb_sip_retransmissions_total', 'SIP retransmissions: sent = messages we sent again (Timers A, E, G; a re-sent response or ACK), also counted in gb_sip_sent_total; received = request retransmissions absorbed by a live server transaction', ['direction'], () => [
      [{ direction: 'sent' }, src.sipTransport().retransmitted],
      [{ direction: 'received' }, src.sipTransactions().retransmittedRequests],
    ]);
    totalCounter(r, 'gb_sip_send_errors_total', 'SIP messages whose send failed', [], () => [[{}, src.sipTransport().sendErrors]]);
    gauge(r, 'gb_sip_tcp_connections', 'SIP TCP connections open now (inbound and outbound)', [], () => [[{}, src.sipTransport().openTcpConnections]]);
    this.tcpLimits = new Counter({
      name: 'gb_sip_tcp_limit_total',
      help: 'SIP TCP connections refused on accept or closed at a bound, by code (see docs/operations.md)',
      labelNames: ['code'],
      registers: [r],
    });
    for (const code of Object.keys(TCP_LIMIT_CODES)) this.tcpLimits.inc({ code }, 0);

    const totals = () => src.signalling().totals;
    totalCounter(r, 'gb_signalling_failures_total', 'Failing device requests answered by the registrar or MESSAGE handler: challenge = a 401 left unanswered, replayed = a stale or replayed digest, forbidden = 403, bad-request = 400', ['kind'], () => {
      const t = totals();
      return (['challenge', 'replayed', 'forbidden', 'bad-request'] as const).map((kind) => [{ kind }, t[kind]]);
    });
    totalCounter(r, 'gb_signalling_dropped_total', 'Device requests dropped unanswered: banned = from a banned device ID and source host, rate-limited = past the per-source failure budget', ['reason'], () => {
      const t = totals();
      return [[{ reason: 'banned' }, t.banned], [{ reason: 'rate-limited' }, t['rate-limited']]];
    });
    totalCounter(r, 'gb_signalling_bans_total', 'Bans imposed on a device ID and source host after repeated digest failures', [], () => [[{}, totals().bans]]);
    gauge(r, 'gb_signalling_active_bans', 'Bans in force now', [], () => [[{}, src.signalling().activeBans]]);
    totalCounter(r, 'gb_signalling_warnings_total', 'Signalling warnings: logged, or suppressed by the log rate limit', ['outcome'], () => {
      const t = totals();
      return [[{ outcome: 'logged' }, t.warningsLogged], [{ outcome: 'suppressed' }, t.warningsSuppressed]];
    });
  }

  /** A stream reached `playing` this long after its play request. */
  observeFirstFrame(kind: StreamKind, transport: StreamTransport, seconds: number): void {
    this.firstFrame.observe({ kind, transport }, seconds);
  }

  /** A SIP TCP connection refused or closed at a limit (the transport's 'tcpLimit' event). */
  countTcpLimit(code: TcpRefusalCode | TcpDropCode): void {
    this.tcpLimits.inc({ code });
  }

  /** The text exposition format (Prometheus 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
