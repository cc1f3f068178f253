import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { StreamFailure, parseSdp } from '@gb/gb28181';
import type { Database, StreamProxyRow } from '@gb/persistence';
import { resolveFfmpeg } from '@gb/runtime';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { GatewayError } from '../common/gateway-error';
import { DATABASE } from '../database/database.providers';
import { StreamsService } from '../streams/streams.service';
import type { StreamDialog, StreamSignalling } from '../streams/stream-session';
import type { VirtualSource } from '../streams/virtual-source';
import { ProxyIngest, PsTcpSink, redactUrl, withCredentials, type IngestUnit } from './proxy-ingest';
import { proxyChannelId, proxyDeviceId, proxySerialOf } from './proxy-ids';
import type { CreateProxyDto, ProxyDto, UpdateProxyDto } from './proxies.dto';

/** A viewer's play waits this long for the source's first frame before it fails (the ingest goes on retrying). */
export const PROXY_FIRST_FRAME_TIMEOUT_MS = 15_000;
/** How often the always-on proxies are checked (ingest running, stream open and held). */
export const ALWAYS_KEEPER_INTERVAL_MS = 2_000;

/**
 * Stream proxies (issue 12 item 1; docs/decisions/stream-proxy.md): channels whose source is a URL. Each is channel
 * `<domain>1319<serial>` of the virtual device `<domain>1189000000`; the streams service asks this service (a
 * VirtualSource) for those IDs, so play, snapshot, watches and the wall run the usual stream session on them. The
 * session's "INVITE" starts the pull (ffmpeg -c copy), its answer comes with the first frame, and the frames reach
 * the session's receiver as PS over RTP on TCP, as a GB camera's would. On-demand proxies stop with their last
 * stream (the idle sweep of STREAM_IDLE_TIMEOUT_MS); always-on proxies keep their ingest and a held stream open.
 */
@Injectable()
export class ProxiesService implements OnModuleInit, OnApplicationShutdown, VirtualSource {
  private readonly log = new Logger('proxies');
  private readonly rows = new Map<number, StreamProxyRow>();
  private readonly ingests = new Map<number, ProxyIngest>();
  /** Always-on proxies: the release of the stream hold, by serial. */
  private readonly holds = new Map<number, () => void>();
  private readonly opening = new Set<number>();
  private readonly ffmpegPath: string;
  private keeper?: NodeJS.Timeout;
  private srt?: boolean;
  readonly transport = 'tcp-passive' as const;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    @Inject(DATABASE) private readonly db: Database,
    @Inject(StreamsService) private readonly streams: StreamsService,
  ) {
    this.ffmpegPath = resolveFfmpeg({ ...process.env, FFMPEG_PATH: cfg.FFMPEG_PATH });
  }

  get deviceId(): string {
    return proxyDeviceId(this.cfg.SIP_ID);
  }

  async onModuleInit(): Promise<void> {
    this.streams.virtualSources.push(this);
    for (const r of await this.db.proxies.list()) this.rows.set(r.serial, r);
    this.keeper = setInterval(() => this.keepAlways(), ALWAYS_KEEPER_INTERVAL_MS);
    this.keepAlways();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.keeper);
    for (const release of this.holds.values()) release();
    this.holds.clear();
    for (const i of this.ingests.values()) i.stop();
    this.ingests.clear();
  }

  // ---- API ----

  /** From the database (another node's proxies included); the state is this node's. */
  async list(): Promise<ProxyDto[]> {
    return (await this.db.proxies.list()).map((r) => this.toDto(r));
  }

  async get(id: string): Promise<ProxyDto> {
    const row = await this.db.proxies.get(id);
    if (!row) throw new GatewayError('NOT_FOUND', `no stream proxy ${id}`);
    return this.toDto(row);
  }

  async create(b: CreateProxyDto): Promise<ProxyDto> {
    this.checkScheme(b.url);
    const row = await this.db.proxies.create({
      id: randomUUID(), name: b.name, url: b.url, mode: b.mode, username: b.username ?? null, password: b.password ?? null, now: new Date(),
    });
    this.rows.set(row.serial, row);
    this.log.log(`proxy ${row.serial} "${row.name}" added: ${redactUrl(row.url)} (${row.mode})`);
    this.keepAlways();
    return this.toDto(row);
  }

  async update(id: string, p: UpdateProxyDto): Promise<ProxyDto> {
    const old = this.require(id);
    if (p.url !== undefined) this.checkScheme(p.url);
    const row = await this.db.proxies.update(id, p, new Date());
    if (!row) throw new GatewayError('NOT_FOUND', `no stream proxy ${id}`);
    this.rows.set(row.serial, row);
    if (row.url !== old.url || row.username !== old.username || row.password !== old.password || row.mode !== old.mode) {
      await this.halt(row.serial); // the next play (or the keeper, when always) starts it with the new settings
      this.keepAlways();
    }
    return this.toDto(row);
  }

  async remove(id: string): Promise<void> {
    const row = this.require(id);
    this.rows.delete(row.serial);
    await this.halt(row.serial);
    await this.db.proxies.delete(id);
    this.log.log(`proxy ${row.serial} "${row.name}" deleted`);
  }

  private require(id: string): StreamProxyRow {
    const row = [...this.rows.values()].find((r) => r.id === id);
    if (!row) throw new GatewayError('NOT_FOUND', `no stream proxy ${id}`);
    return row;
  }

  /** srt:// only where this machine's ffmpeg has the protocol. */
  private checkScheme(url: string): void {
    if (!url.toLowerCase().startsWith('srt:')) return;
    if (this.srt === undefined) {
      const r = spawnSync(this.ffmpegPath, ['-hide_banner', '-protocols'], { encoding: 'utf8', timeout: 10_000 });
      const input = (r.stdout ?? '').split(/Output:/i)[0] ?? '';
      this.srt = /^\s*srt\s*$/m.test(input);
    }
    if (!this.srt) throw new GatewayError('VALIDATION_FAILED', 'url: this machine\'s ffmpeg has no srt protocol', { errors: [{ field: 'url', message: 'srt is not available' }] });
  }

  private streamIdOf(serial: number): string {
    return StreamsService.streamIdOf(this.deviceId, proxyChannelId(this.cfg.SIP_ID, serial));
  }

  private toDto(r: StreamProxyRow): ProxyDto {
    const ingest = this.ingests.get(r.serial);
    const channelId = proxyChannelId(this.cfg.SIP_ID, r.serial);
    const streamId = StreamsService.streamIdOf(this.deviceId, channelId);
    const s = this.streams.get(streamId);
    return {
      id: r.id, name: r.name, url: redactUrl(r.url), mode: r.mode, username: r.username, hasPassword: !!r.password,
      deviceId: this.deviceId, channelId, streamId: s?.isOpen ? streamId : null,
      state: ingest?.state ?? 'idle', causeCode: ingest?.cause?.code ?? null, cause: ingest?.cause?.message ?? null,
      stateAt: new Date(ingest?.stateAt ?? r.updatedAt.getTime()).toISOString(),
      createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(),
    };
  }

  // ---- ingest ----

  private ingestFor(r: StreamProxyRow): ProxyIngest {
    let i = this.ingests.get(r.serial);
    if (!i) {
      i = new ProxyIngest({
        url: withCredentials(r.url, r.username, r.password), ffmpegPath: this.ffmpegPath, label: `proxy ${r.serial} (${redactUrl(r.url)})`,
        log: (level, m) => this.log[level](m),
      });
      this.ingests.set(r.serial, i);
    }
    return i;
  }

  /** Stops a proxy's ingest and stream (deleted, or its source changed). */
  private async halt(serial: number): Promise<void> {
    this.holds.get(serial)?.();
    this.holds.delete(serial);
    this.ingests.get(serial)?.stop();
    this.ingests.delete(serial);
    await this.streams.stop(this.streamIdOf(serial)).catch(() => undefined);
  }

  /** Always-on proxies: ingest running; once live, a stream open and held (the idle sweep leaves it alone). */
  private keepAlways(): void {
    for (const r of this.rows.values()) {
      if (r.mode !== 'always') continue;
      const ingest = this.ingestFor(r);
      ingest.start();
      const sid = this.streamIdOf(r.serial);
      const s = this.streams.get(sid);
      if (s?.isOpen || ingest.state !== 'live' || this.opening.has(r.serial)) continue;
      this.holds.get(r.serial)?.();
      this.holds.delete(r.serial);
      this.opening.add(r.serial);
      this.streams
        .open(this.deviceId, proxyChannelId(this.cfg.SIP_ID, r.serial), { kind: 'live', holder: true })
        .then((st) => {
          if (this.rows.get(r.serial) === r || this.rows.get(r.serial)?.mode === 'always') this.holds.set(r.serial, st.hold());
        })
        .catch((e: Error) => this.log.warn(`proxy ${r.serial}: the always-on stream did not open: ${e.message}`))
        .finally(() => this.opening.delete(r.serial));
    }
  }

  // ---- VirtualSource ----

  owns(deviceId: string): boolean {
    return deviceId === this.deviceId;
  }

  /** Reads the row again (a proxy added, changed or deleted through another node counts from the next play on). */
  async requireChannel(deviceId: string, channelId: string): Promise<void> {
    const serial = proxySerialOf(this.cfg.SIP_ID, channelId);
    const row = deviceId === this.deviceId && serial !== null ? await this.db.proxies.getBySerial(serial) : undefined;
    if (!row) {
      if (serial !== null && this.rows.has(serial)) await this.halt(serial);
      this.rows.delete(serial ?? -1);
      throw new GatewayError('CHANNEL_NOT_FOUND', `no stream proxy channel ${channelId}`, { deviceId, channelId });
    }
    const cached = this.rows.get(row.serial);
    if (cached && cached.updatedAt.getTime() !== row.updatedAt.getTime() && !this.streams.get(this.streamIdOf(row.serial))?.isOpen) {
      this.ingests.get(row.serial)?.stop();
      this.ingests.delete(row.serial);
    }
    this.rows.set(row.serial, row);
  }

  signalling(deviceId: string, channelId: string): StreamSignalling {
    return { invite: (sdp) => this.invite(channelId, sdp) };
  }

  private invite(channelId: string, sdp: string): ReturnType<StreamSignalling['invite']> {
    const serial = proxySerialOf(this.cfg.SIP_ID, channelId)!;
    const row = this.rows.get(serial);
    if (!row) throw new GatewayError('CHANNEL_NOT_FOUND', `no stream proxy channel ${channelId}`);
    const offer = parseSdp(sdp);
    const m = offer.media.find((x) => x.type === 'video') ?? offer.media[0];
    const ssrc = Number(offer.ssrc ?? 0);
    const bind = this.cfg.MEDIA_BIND_HOST;
    const host = !bind || bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind;
    const ingest = this.ingestFor(row);
    const callId = `proxy-${randomUUID()}`;
    let done = false;
    let sink: PsTcpSink | undefined;
    const onUnit = (u: IngestUnit) => sink?.send(u);
    const end = (failed: boolean) => {
      if (done) return;
      done = true;
      ingest.off('unit', onUnit);
      sink?.close();
      if (row.mode === 'on-demand' && this.ingests.get(serial) === ingest) ingest.stop(failed ? 'failed' : 'idle');
    };
    const answer = (async (): Promise<StreamDialog & { sdp: string }> => {
      if (!m?.port) throw new StreamFailure('DEVICE_BAD_SDP', 'the offer has no media port');
      sink = new PsTcpSink(host, m.port, ssrc);
      await sink.connect();
      ingest.on('unit', onUnit);
      ingest.start();
      if (ingest.state !== 'live') {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => finish(new StreamFailure('DEVICE_NO_ANSWER', `stream proxy ${row.name}: no frame from ${redactUrl(row.url)} within ${PROXY_FIRST_FRAME_TIMEOUT_MS} ms`)), PROXY_FIRST_FRAME_TIMEOUT_MS);
          const onState = (s: string) => s === 'live' && finish();
          const onFail = () => {
            const c = ingest.cause;
            finish(new StreamFailure('MEDIA_CONNECT_FAILED', `stream proxy ${row.name}: ${redactUrl(row.url)}: ${c?.code ?? 'SOURCE_ERROR'}: ${c?.message ?? 'ffmpeg ended'}`));
          };
          const finish = (e?: Error) => {
            clearTimeout(t);
            ingest.off('state', onState);
            ingest.off('attemptFailed', onFail);
            if (e) reject(e);
            else resolve();
          };
          ingest.on('state', onState);
          ingest.on('attemptFailed', onFail);
        });
      }
      if (done) throw new StreamFailure('DEVICE_NO_ANSWER', 'abandoned');
      const answerSdp = `v=0\r\no=${channelId} 0 0 IN IP4 ${host}\r\ns=Play\r\nc=IN IP4 ${host}\r\nt=0 0\r\nm=video 9 TCP/RTP/AVP 96\r\na=rtpmap:96 PS/90000\r\na=setup:active\r\na=sendonly\r\ny=${offer.ssrc ?? ''}\r\n`;
      return {
        callId, sdp: answerSdp,
        bye: async () => end(false),
        info: async () => ({ status: 405, reason: 'Method Not Allowed' }),
      };
    })();
    answer.catch(() => end(true));
    return { callId, answer, abandon: () => end(false) };
  }
}
