import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { StreamFailure, parseSdp } from '@gb/gb28181';
import type { ChannelDto, DeviceDto } from '@gb/contracts';
import type { Database, StreamProxyRow } from '@gb/persistence';
import { resolveFfmpeg } from '@gb/runtime';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { GatewayError } from '../common/gateway-error';
import { DATABASE } from '../database/database.providers';
import { DeviceDirectory, type VirtualDevice } from '../devices/device-directory';
import { StreamsService } from '../streams/streams.service';
import type { StreamDialog, StreamSignalling } from '../streams/stream-session';
import type { VirtualSource } from '../streams/virtual-source';
import { ProxyIngest, PsTcpSink, redactUrl, withCredentials, type IngestAudio, type IngestUnit } from './proxy-ingest';
import { PushIngest, type PushPublisher } from './push-ingest';
import { RtmpPushServer, type PushAuthorizer, type PushVerdict } from './rtmp-push.server';
import { proxyChannelId, proxyDeviceId, proxySerialOf } from './proxy-ids';
import type { CreateProxyDto, ProxyDto, UpdateProxyDto } from './proxies.dto';

/** A viewer's play waits this long for the source's first frame before it fails (the ingest goes on retrying). */
export const PROXY_FIRST_FRAME_TIMEOUT_MS = 15_000;
/** How often the always-on proxies are checked (ingest running, stream open and held). */
export const ALWAYS_KEEPER_INTERVAL_MS = 2_000;
/** The virtual device's name in the device list (the dashboard shows its own translation). */
export const PROXY_DEVICE_NAME = 'Stream proxies';
/** Random bytes of a push proxy's publish key (hex in the URL: 32 characters). */
export const PUSH_KEY_BYTES = 16;
/** The RTMP application of publish URLs: rtmp://host:port/<app>/<channelId>?key=… */
export const PUSH_RTMP_APP = 'live';

/**
 * Stream proxies (issue 12 item 1; docs/decisions/stream-proxy.md): channels whose source is a URL. Each is channel
 * `<domain>1319<serial>` of the virtual device `<domain>1189000000`; the streams service asks this service (a
 * VirtualSource) for those IDs, so play, snapshot, watches and the wall run the usual stream session on them. The
 * session's "INVITE" starts the pull (ffmpeg -c copy), its answer comes with the first frame, and the frames reach
 * the session's receiver as PS over RTP on TCP, as a GB camera's would. On-demand proxies stop with their last
 * stream (the idle sweep of STREAM_IDLE_TIMEOUT_MS); always-on proxies keep their ingest and a held stream open.
 * Push proxies take an RTMP publish (RtmpPushServer on RTMP_PORT) checked against their key, and are kept like
 * always-on ones while an encoder publishes (the hold is released when it leaves).
 */
@Injectable()
export class ProxiesService implements OnModuleInit, OnApplicationShutdown, VirtualSource, PushAuthorizer, VirtualDevice {
  private readonly log = new Logger('proxies');
  private readonly rows = new Map<number, StreamProxyRow>();
  private readonly ingests = new Map<number, ProxyIngest | PushIngest>();
  private rtmp?: RtmpPushServer;
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
    @Inject(DeviceDirectory) private readonly directory: DeviceDirectory,
  ) {
    this.ffmpegPath = resolveFfmpeg({ ...process.env, FFMPEG_PATH: cfg.FFMPEG_PATH });
  }

  get deviceId(): string {
    return proxyDeviceId(this.cfg.SIP_ID);
  }

  async onModuleInit(): Promise<void> {
    this.streams.virtualSources.push(this);
    this.directory.virtualDevices.push(this);
    for (const r of await this.db.proxies.list()) this.rows.set(r.serial, r);
    if (this.cfg.RTMP_PORT > 0) {
      this.rtmp = new RtmpPushServer(this, (level, m) => this.log[level](m));
      try {
        await this.rtmp.listen(this.cfg.RTMP_PORT, this.cfg.RTMP_HOST);
      } catch (e) {
        throw new Error(`RTMP_PORT ${this.cfg.RTMP_PORT} on RTMP_HOST ${this.cfg.RTMP_HOST}: cannot listen (${(e as Error).message}); set RTMP_PORT to a free port, or 0 for no push ingest`);
      }
      this.log.log(`RTMP push ingest on ${this.cfg.RTMP_HOST}:${this.rtmp.port}`);
    }
    this.keeper = setInterval(() => this.keepAlways(), ALWAYS_KEEPER_INTERVAL_MS);
    this.keepAlways();
  }

  /** The RTMP listener's port (RTMP_PORT), undefined when off. */
  get rtmpPort(): number | undefined {
    return this.rtmp?.port;
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.keeper);
    for (const release of this.holds.values()) release();
    this.holds.clear();
    for (const i of this.ingests.values()) i.stop();
    this.ingests.clear();
    await this.rtmp?.close();
  }

  // ---- API ----

  /** From the database (another node's proxies included); the state is this node's. */
  /** `admin`: the publish URLs of push proxies are included (they carry the key). */
  async list(admin = false): Promise<ProxyDto[]> {
    return (await this.db.proxies.list()).map((r) => this.toDto(r, admin));
  }

  async get(id: string, admin = false): Promise<ProxyDto> {
    const row = await this.db.proxies.get(id);
    if (!row) throw new GatewayError('NOT_FOUND', `no stream proxy ${id}`);
    return this.toDto(row, admin);
  }

  async create(b: CreateProxyDto): Promise<ProxyDto> {
    const push = b.mode === 'push';
    if (push) this.requireRtmp();
    else this.checkScheme(b.url!);
    const row = await this.db.proxies.create({
      id: randomUUID(), name: b.name, url: push ? null : b.url!, mode: b.mode, username: b.username ?? null, password: b.password ?? null,
      pushKey: push ? newPushKey() : null, now: new Date(),
    });
    this.rows.set(row.serial, row);
    this.log.log(`proxy ${row.serial} "${row.name}" added: ${row.url ? redactUrl(row.url) : 'RTMP push'} (${row.mode})`);
    this.keepAlways();
    return this.toDto(row, true);
  }

  async update(id: string, p: UpdateProxyDto): Promise<ProxyDto> {
    const old = this.require(id);
    const { rotateKey, ...patch } = p;
    const invalid = (field: string, message: string) => new GatewayError('VALIDATION_FAILED', `${field}: ${message}`, { errors: [{ field, message }] });
    if (old.mode === 'push') {
      if (p.mode !== undefined && p.mode !== 'push') throw invalid('mode', 'a push proxy stays push (delete it and add a pull)');
      for (const k of ['url', 'username', 'password'] as const) if (p[k] !== undefined) throw invalid(k, 'a push proxy has no source URL or credentials');
    } else {
      if (p.mode === 'push') throw invalid('mode', 'a pull proxy cannot become push (delete it and add a push proxy)');
      if (rotateKey) throw invalid('rotateKey', 'only push proxies have a publish key');
    }
    if (p.url !== undefined) this.checkScheme(p.url);
    const row = await this.db.proxies.update(id, { ...patch, ...(rotateKey ? { pushKey: newPushKey() } : {}) }, new Date());
    if (!row) throw new GatewayError('NOT_FOUND', `no stream proxy ${id}`);
    this.rows.set(row.serial, row);
    if (row.url !== old.url || row.username !== old.username || row.password !== old.password || row.mode !== old.mode || row.pushKey !== old.pushKey) {
      await this.halt(row.serial); // the next play (or the keeper, when always) starts it with the new settings
      this.keepAlways();
    }
    return this.toDto(row, true);
  }

  private requireRtmp(): void {
    if (!this.rtmp) throw new GatewayError('FEATURE_DISABLED', 'push proxies need the RTMP listener (RTMP_PORT is 0)');
  }

  /** The publish URL of a push proxy (RTMP_PUBLIC_HOST, else PUBLIC_URL's host, else RTMP_HOST, else a LAN address). */
  private publishUrlOf(r: StreamProxyRow): string | null {
    if (r.mode !== 'push' || !r.pushKey || !this.rtmp?.port) return null;
    let host = this.cfg.RTMP_PUBLIC_HOST;
    if (!host && this.cfg.PUBLIC_URL) host = new URL(this.cfg.PUBLIC_URL).hostname;
    if (!host && this.cfg.RTMP_HOST !== '0.0.0.0' && this.cfg.RTMP_HOST !== '::') host = this.cfg.RTMP_HOST;
    host ??= lanAddress();
    if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
    return `rtmp://${host}:${this.rtmp.port}/${PUSH_RTMP_APP}/${proxyChannelId(this.cfg.SIP_ID, r.serial)}?key=${r.pushKey}`;
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

  private toDto(r: StreamProxyRow, admin: boolean): ProxyDto {
    const ingest = this.ingests.get(r.serial);
    const channelId = proxyChannelId(this.cfg.SIP_ID, r.serial);
    const streamId = StreamsService.streamIdOf(this.deviceId, channelId);
    const s = this.streams.get(streamId);
    return {
      id: r.id, name: r.name, url: r.url === null ? null : redactUrl(r.url), mode: r.mode, publishUrl: admin ? this.publishUrlOf(r) : null,
      username: r.username, hasPassword: !!r.password,
      deviceId: this.deviceId, channelId, streamId: s?.isOpen ? streamId : null,
      state: ingest?.state ?? 'idle', causeCode: ingest?.cause?.code ?? null, cause: ingest?.cause?.message ?? null,
      stateAt: new Date(ingest?.stateAt ?? r.updatedAt.getTime()).toISOString(),
      createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(),
    };
  }

  // ---- VirtualDevice: the device list, the channel tree and the wall picker ----

  /**
   * The virtual device "Stream proxies", listed while at least one proxy exists. Always online: the gateway itself
   * answers for it. Its channels: one per proxy, from the database (every node's proxies).
   */
  async device(): Promise<DeviceDto | null> {
    const rows = await this.db.proxies.list();
    if (!rows.length) return null;
    return {
      deviceId: this.deviceId, name: PROXY_DEVICE_NAME, online: true, transport: 'tcp', remoteAddress: null, manufacturer: 'gb-gateway', model: 'stream proxy',
      firmware: null, channelCount: rows.length, registeredAt: null, lastKeepaliveAt: null, expires: null, charset: 'UTF-8', streamTransport: 'tcp-passive',
      hasPassword: false, catalogSyncedAt: null, node: null, virtual: 'stream-proxies',
    };
  }

  /**
   * Status ON while the channel can play: a pull whose last try did not fail (an idle on-demand pull starts on play),
   * a push while an encoder publishes. OFF: retrying or failed pulls, push proxies without an encoder.
   */
  async channels(): Promise<ChannelDto[]> {
    return (await this.db.proxies.list()).map((r) => {
      const state = this.ingests.get(r.serial)?.state ?? 'idle';
      const on = r.mode === 'push' ? state === 'live' || state === 'connecting' : state !== 'failed' && state !== 'retrying';
      return {
        channelId: proxyChannelId(this.cfg.SIP_ID, r.serial), deviceId: this.deviceId, name: r.name, status: on ? 'ON' : 'OFF', parentId: null,
        businessGroupId: null, kind: 'channel', isDirectory: false, civilCode: null, manufacturer: null, model: r.mode === 'push' ? 'RTMP push' : 'stream proxy',
        address: null, ipAddress: null, longitude: null, latitude: null, ptzType: null,
      };
    });
  }

  // ---- ingest ----

  private ingestFor(r: StreamProxyRow): ProxyIngest | PushIngest {
    let i = this.ingests.get(r.serial);
    if (!i) {
      i = r.mode === 'push' || r.url === null
        ? new PushIngest()
        : new ProxyIngest({
          url: withCredentials(r.url, r.username, r.password), ffmpegPath: this.ffmpegPath, label: `proxy ${r.serial} (${redactUrl(r.url)})`,
          log: (level, m) => this.log[level](m),
        });
      this.ingests.set(r.serial, i);
    }
    return i;
  }

  // ---- PushAuthorizer (RtmpPushServer) ----

  /**
   * An encoder publishes `<app>/<channelId>?key=<key>`: the channel must be a push proxy (read from the database, so a
   * proxy added through another node counts), the key must match (constant-time compare) and no other encoder may be
   * publishing to it. A refusal is recorded as the proxy's cause (PUSH_KEY_REJECTED, PUSH_BUSY).
   */
  async publish(req: { app: string; name: string; query: Record<string, string>; remote: string; close: (reason: string) => void }): Promise<PushVerdict> {
    const serial = req.app === PUSH_RTMP_APP ? proxySerialOf(this.cfg.SIP_ID, req.name) : null;
    const row = serial === null ? undefined : await this.db.proxies.getBySerial(serial);
    if (!row || row.mode !== 'push' || !row.pushKey) {
      return { ok: false, code: 'PUSH_UNKNOWN_CHANNEL', message: `no push proxy ${req.app}/${req.name}` };
    }
    const cached = this.rows.get(row.serial);
    if (!cached || cached.pushKey !== row.pushKey) {
      if (cached) await this.halt(row.serial);
      this.rows.set(row.serial, row);
    }
    const ingest = this.ingestFor(row) as PushIngest;
    const given = Buffer.from(req.query.key ?? '', 'utf8');
    const want = Buffer.from(row.pushKey, 'utf8');
    if (given.length !== want.length || !timingSafeEqual(given, want)) {
      const message = `a publish from ${req.remote} with ${req.query.key ? 'a wrong' : 'no'} key was refused`;
      ingest.refused({ code: 'PUSH_KEY_REJECTED', message });
      return { ok: false, code: 'PUSH_KEY_REJECTED', message };
    }
    const pub: PushPublisher = { remote: req.remote, close: req.close };
    if (!ingest.attach(pub)) {
      const message = `a publish from ${req.remote} was refused: another encoder is publishing`;
      ingest.refused({ code: 'PUSH_BUSY', message });
      return { ok: false, code: 'PUSH_BUSY', message };
    }
    ingest.start();
    this.keepAlways();
    return {
      ok: true,
      unit: (u) => ingest.unit(pub, u),
      audio: (f) => ingest.audioFrame(pub, f),
      end: (code, message) => ingest.detach(pub, { code: pushCauseCode(code), message: `${req.remote}: ${message}` }),
    };
  }

  /** Stops a proxy's ingest and stream (deleted, or its source changed). */
  private async halt(serial: number): Promise<void> {
    this.holds.get(serial)?.();
    this.holds.delete(serial);
    this.ingests.get(serial)?.stop();
    this.ingests.delete(serial);
    await this.streams.stop(this.streamIdOf(serial)).catch(() => undefined);
  }

  /**
   * Always-on proxies: ingest running; once live, a stream open and held (the idle sweep leaves it alone). Push
   * proxies: held while an encoder publishes.
   */
  private keepAlways(): void {
    for (const r of this.rows.values()) {
      if (r.mode === 'on-demand') continue;
      const ingest = this.ingestFor(r);
      ingest.start();
      if (ingest instanceof PushIngest && !ingest.hasPublisher) {
        // No encoder: the stream is no longer held (viewers still watching keep it; the idle sweep ends it after them).
        this.holds.get(r.serial)?.();
        this.holds.delete(r.serial);
        continue;
      }
      const sid = this.streamIdOf(r.serial);
      const s = this.streams.get(sid);
      if (s?.isOpen || ingest.state !== 'live' || this.opening.has(r.serial)) continue;
      this.holds.get(r.serial)?.();
      this.holds.delete(r.serial);
      this.opening.add(r.serial);
      this.streams
        .open(this.deviceId, proxyChannelId(this.cfg.SIP_ID, r.serial), { kind: 'live', holder: true })
        .then((st) => {
          if (this.rows.get(r.serial) === r || this.rows.get(r.serial)?.mode !== 'on-demand') this.holds.set(r.serial, st.hold());
        })
        .catch((e: Error) => this.log.warn(`proxy ${r.serial}: the always-on stream did not open: ${e.message}`))
        .finally(() => this.opening.delete(r.serial));
    }
  }

  // ---- VirtualSource ----

  owns(deviceId: string): boolean {
    return deviceId === this.deviceId;
  }

  async deviceOfChannel(channelId: string): Promise<string | null> {
    const serial = proxySerialOf(this.cfg.SIP_ID, channelId);
    return serial !== null && (await this.db.proxies.getBySerial(serial)) ? this.deviceId : null;
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
    const onAudio = (a: IngestAudio) => sink?.sendAudio(a);
    const end = (failed: boolean) => {
      if (done) return;
      done = true;
      ingest.off('unit', onUnit);
      ingest.off('audio', onAudio);
      sink?.close();
      if (row.mode === 'on-demand' && this.ingests.get(serial) === ingest) ingest.stop(failed ? 'failed' : 'idle');
    };
    const answer = (async (): Promise<StreamDialog & { sdp: string }> => {
      if (!m?.port) throw new StreamFailure('DEVICE_BAD_SDP', 'the offer has no media port');
      sink = new PsTcpSink(host, m.port, ssrc);
      await sink.connect();
      ingest.on('unit', onUnit);
      ingest.on('audio', onAudio);
      ingest.start();
      if (ingest instanceof PushIngest && !ingest.hasPublisher) {
        throw new StreamFailure('MEDIA_CONNECT_FAILED', `stream proxy ${row.name}: no encoder is publishing to it${ingest.cause ? ` (last: ${ingest.cause.code}: ${ingest.cause.message})` : ''}`);
      }
      if (ingest.state !== 'live') {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(() => finish(new StreamFailure('DEVICE_NO_ANSWER', `stream proxy ${row.name}: no frame from ${row.url ? redactUrl(row.url) : 'the encoder'} within ${PROXY_FIRST_FRAME_TIMEOUT_MS} ms`)), PROXY_FIRST_FRAME_TIMEOUT_MS);
          const onState = (s: string) => s === 'live' && finish();
          const onFail = () => {
            const c = ingest.cause;
            finish(new StreamFailure('MEDIA_CONNECT_FAILED', `stream proxy ${row.name}: ${row.url ? redactUrl(row.url) : 'RTMP push'}: ${c?.code ?? 'SOURCE_ERROR'}: ${c?.message ?? 'ffmpeg ended'}`));
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

function newPushKey(): string {
  return randomBytes(PUSH_KEY_BYTES).toString('hex');
}

/** The RTMP server's end codes as proxy causes (a protocol library code, e.g. RTMP_BAD_CHUNK, is a protocol error). */
function pushCauseCode(code: string): 'PUSH_STOPPED' | 'PUSH_TIMEOUT' | 'PUSH_PROTOCOL_ERROR' {
  if (code === 'PUSH_STOPPED' || code === 'PUSH_TIMEOUT') return code;
  return 'PUSH_PROTOCOL_ERROR';
}

/** The first non-internal IPv4 address of this machine (the host of publish URLs when nothing says otherwise). */
function lanAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
