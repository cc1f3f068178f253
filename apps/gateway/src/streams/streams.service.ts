import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { join, resolve } from 'node:path';
import { buildGbOffer, buildSsrc, buildMansrtsp, ssrcToNumber, type MansrtspCommand, type SubstreamSdpStyle } from '@gb/gb28181';
import type { StreamKind, StreamTransport } from '@gb/contracts';
import { GATEWAY_CONFIG, substreamStylesByDevice, type GatewayConfig } from '../config/config.schema';
import { GatewayError } from '../common/gateway-error';
import { NodesService } from '../cluster/nodes.service';
import { DevicesService } from '../devices/devices.service';
import { SipService } from '../sip/sip.service';
import type { IncomingRequest } from '../sip/sip-endpoint';
import { MediaSession } from '../media/media-session';
import { PortPool, openOnFreePort, type PortPoolStats } from '../media/port-pool';
import { RtpPortMux } from '../media/rtp-port-mux';
import { resolveFfmpeg } from '@gb/runtime';
import { EventBus } from '../events/event-bus';
import { MediaTokens } from './media-tokens';
import { DeviceMessagesService } from '../devices/device-messages.service';
import { DeviceQueriesService } from '../devices/device-queries.service';
import { SipStreamSignalling } from './sip-stream-signalling';
import { StreamSession, type CloseReason, type SessionScheduler } from './stream-session';
import { SsrcAllocator } from './ssrc-allocator';
import type { StreamDto } from './stream.types';
import type { VirtualSource } from './virtual-source';

export type { StreamKind };

export interface OpenStreamOptions {
  kind: StreamKind;
  transport?: StreamTransport;
  /** Playback/Download: unix seconds. */
  startTime?: number;
  endTime?: number;
  /** Download: a=downloadspeed (1, 2, 4, …). */
  downloadSpeed?: number;
  /** Live: the main stream (default) or the substream (its own stream ID, `…_sub`; both may run at once). */
  stream?: 'main' | 'sub';
  /** Extra media consumers (e.g. an MP4 writer for downloads) instead of HLS/FLV. */
  remux?: 'browser' | { mp4Path: string };
  /**
   * The opener is no person at a browser (an upward send to a superior, which holds the stream with hold()): joining
   * a running live stream does not count as a view.
   */
  holder?: boolean;
}

/** A running stream as other services see it. */
export type Stream = StreamSession;

/** Failed streams stay listed (with their code and cause) this long after they ended, for the API and dashboard. */
export const FAILED_STREAM_LINGER_MS = 60_000;
/** Most failed streams kept listed. */
export const MAX_FAILED_STREAMS_LISTED = 100;
/** Channels remembered as sending audio their PSM did not declare (oldest forgotten first past this). */
export const MAX_LEARNED_AUDIO_CHANNELS = 10_000;

const realScheduler: SessionScheduler = {
  now: () => Date.now(),
  setTimer: (ms, fn) => setTimeout(fn, ms),
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * Play / stop use-cases (GB/T 28181 §9.2): a StreamSession per stream owns its dialog, receiver, port, SSRC, muxers and
 * viewers and tears them down once. This service creates sessions, finds them, and closes them when their device
 * goes away (deleted, unregistered, expired, offline) or the gateway shuts down: BYE to all.
 * SIP and media do not know each other; this does.
 */
@Injectable()
export class StreamsService implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger('streams');
  /** Open sessions (not yet closed). */
  private readonly streams = new Map<string, StreamSession>();
  /** Recently failed sessions, newest last: listed with their cause for FAILED_STREAM_LINGER_MS. */
  private readonly failed: StreamSession[] = [];
  private readonly ports: PortPool;
  private readonly ssrcs = new SsrcAllocator();
  /** Playback/download stream IDs: a counter that never wraps while the process lives (no reuse while in use). */
  private streamSerial = 0;
  private readonly ffmpegPath: string;
  readonly hlsRoot: string;
  private sweeper?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  /** Single-port mode's shared receiver (RTP_SINGLE_PORT). */
  private mux?: RtpPortMux;
  private readonly signalling: SipStreamSignalling;
  /** Told of each session as it is created, before it starts (metrics: first-frame time, RTP totals). Must not throw. */
  onSessionCreated?: (s: StreamSession) => void;
  /** Virtual devices (stream proxies): asked before the device registry; live streams only. */
  readonly virtualSources: VirtualSource[] = [];
  /**
   * Channels whose audio came after the first keyframe without a PSM entry (left out of that stream, since a browser
   * cannot add a track to a playing stream): their next streams start with the AAC track (silence until the audio comes).
   * Insertion-ordered, bounded by MAX_LEARNED_AUDIO_CHANNELS; kept while the process lives.
   */
  private readonly learnedAudio = new Set<string>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    private readonly sip: SipService,
    private readonly devices: DevicesService,
    private readonly tokens: MediaTokens,
    private readonly messages: DeviceMessagesService,
    private readonly events: EventBus,
    @Inject(NodesService) private readonly nodes: NodesService,
    private readonly queries: DeviceQueriesService,
  ) {
    this.ports = new PortPool(cfg.RTP_PORT_MIN, cfg.RTP_PORT_MAX);
    this.ffmpegPath = resolveFfmpeg({ ...process.env, FFMPEG_PATH: cfg.FFMPEG_PATH });
    this.hlsRoot = resolve(cfg.DATA_DIR, 'hls');
    this.signalling = new SipStreamSignalling(sip, cfg, (deviceId) => this.devices.get(deviceId)?.flow ?? this.devices.releasedFlow(deviceId));
  }

  async onModuleInit(): Promise<void> {
    if (this.cfg.RTP_SINGLE_PORT > 0) {
      this.mux = new RtpPortMux(this.cfg.MEDIA_BIND_HOST, this.cfg.RTP_SINGLE_PORT);
      await this.mux.open();
      this.log.log(`single-port RTP on ${this.cfg.MEDIA_BIND_HOST}:${this.cfg.RTP_SINGLE_PORT} (UDP + TCP), streams told apart by SSRC`);
    }
    this.sip.on('BYE', (r) => this.onBye(r));
    this.messages.subscribe((deviceId, m) => {
      if (m.kind === 'MediaStatusNotify') this.onMediaStatus(deviceId, m.notifyType);
    });
    // The close cascade: a device that is deleted, unregisters, expires or goes offline takes its streams with it.
    const unsubscribeEvents = this.events.subscribe((e) => {
      if (e.type === 'device.offline') void this.closeDevice(e.data.deviceId, e.data.reason);
    });
    // A device that registered with another node is that node's now: its streams here end with BYE.
    const unsubscribeReleased = this.devices.onReleased((ids, why) => {
      for (const id of ids) void this.closeDevice(id, `moved: ${why}`);
    });
    this.unsubscribe = () => {
      unsubscribeEvents();
      unsubscribeReleased();
    };
    this.nodes.reportLoad('streams', () => this.streams.size);
    this.sweeper = setInterval(() => this.sweepIdle(), 1000);
  }

  /**
   * The virtual device (stream proxies) serving a channel that has no catalog row, or null: for routes given a channel
   * ID and perhaps a device ID hint (congestion watch, record plans).
   */
  async virtualDeviceOf(channelId: string, hint?: string): Promise<string | null> {
    for (const v of this.virtualSources) {
      const d = await v.deviceOfChannel(channelId);
      if (d && (!hint || hint === d)) return d;
    }
    return null;
  }

  /** Remembers a channel whose audio came undeclared (see learnedAudio). */
  private learnAudio(liveId: string, codec: string): void {
    if (this.learnedAudio.has(liveId)) return;
    if (this.learnedAudio.size >= MAX_LEARNED_AUDIO_CHANNELS) this.learnedAudio.delete(this.learnedAudio.values().next().value!);
    this.learnedAudio.add(liveId);
    this.log.log(`${liveId}: ${codec} audio arrived after the first keyframe without a PSM entry; left out of this stream, carried from the channel's next stream on`);
  }

  /** Whether the channel's next stream starts with an AAC track because its audio came undeclared before. */
  hasLearnedAudio(deviceId: string, channelId: string): boolean {
    return this.learnedAudio.has(StreamsService.streamIdOf(deviceId, channelId));
  }

  private substreamStyles?: Record<string, SubstreamSdpStyle>;

  static streamIdOf(deviceId: string, channelId: string, stream: 'main' | 'sub' = 'main'): string {
    return stream === 'sub' ? `${deviceId}_${channelId}_sub` : `${deviceId}_${channelId}`;
  }

  /** How a substream is asked for in this device's offers (SUBSTREAM_SDP_STYLE, per device SUBSTREAM_SDP_STYLE_BY_DEVICE). */
  substreamStyleOf(deviceId: string): SubstreamSdpStyle {
    this.substreamStyles ??= substreamStylesByDevice(this.cfg.SUBSTREAM_SDP_STYLE_BY_DEVICE) ?? {};
    return this.substreamStyles[deviceId] ?? this.cfg.SUBSTREAM_SDP_STYLE;
  }

  get(streamId: string): Stream | undefined {
    return this.streams.get(streamId) ?? this.failed.find((s) => s.streamId === streamId);
  }

  /** Open sessions, then recently failed ones. */
  list(): StreamDto[] {
    return [...this.streams.values(), ...this.failed].map((s) => this.toDto(s));
  }

  /** State and remuxer restarts of the listed streams (metrics: no media tokens signed, no DTO built per scrape). */
  summaries(): Pick<StreamDto, 'state' | 'remuxRestarts'>[] {
    return [...this.streams.values(), ...this.failed].map((s) => ({ state: s.state, remuxRestarts: s.mediaSession?.info().remuxRestarts ?? 0 }));
  }

  /** What is held right now (tests and metrics: after every stream ended all of these are 0). */
  resources(): { sessions: number; dialogs: number; ports: number; ssrcs: number; invites: number } {
    const sessions = [...this.streams.values()];
    return {
      sessions: sessions.length,
      dialogs: sessions.filter((s) => s.dialog).length,
      ports: this.ports.stats().inUse,
      ssrcs: this.ssrcs.size,
      invites: this.signalling.pending,
    };
  }

  /**
   * Runs `open(port)` on a port of the RTP pool (RTP_PORT_MIN..RTP_PORT_MAX, the range firewalls and port mappings
   * open), trying another one when the bind fails (openOnFreePort): an upward sender's UDP socket or TCP listener.
   * `release` gives the port back; call it once, after closing what was opened.
   */
  async bindOnPoolPort<T>(open: (port: number) => Promise<T>): Promise<{ port: number; value: T; release: () => void }> {
    const { port, value } = await openOnFreePort(this.ports, open);
    return { port, value, release: () => this.ports.release(port) };
  }

  /** The RTP port pool now (metrics). */
  portStats(): PortPoolStats {
    return this.ports.stats();
  }

  /** Counts a viewer's fetch (HLS playlist/segment) so an idle stream can be told from a watched one. */
  touch(streamId: string): void {
    const s = this.streams.get(streamId);
    if (s) s.lastViewAt = Date.now();
  }

  /**
   * DeviceControl IFameCmd (GB/T 28181-2016 §A.2.3.1) to a new live stream's channel once its INVITE is answered: a
   * camera that is already encoding starts on a keyframe instead of at its next GOP (PLAY_KEYFRAME_REQUEST). The same
   * MESSAGE the WebRTC service sends when a viewer joins with nothing cached; best effort, never retried.
   */
  private requestKeyframe(deviceId: string, channelId: string, streamId: string): void {
    this.queries.sendControl(deviceId, channelId, 'DeviceControl', { IFameCmd: 'Send' }).catch((e: unknown) => {
      this.log.debug(`${streamId}: IFameCmd not taken: ${(e as Error).message}`);
    });
  }

  /** Live view: a second viewer of the same channel joins the running stream. */
  async play(deviceId: string, channelId: string, transport?: StreamTransport, stream: 'main' | 'sub' = 'main'): Promise<StreamDto> {
    return this.toDto(await this.open(deviceId, channelId, { kind: 'live', transport, stream }));
  }

  /** Recorded video (s=Playback): always a new stream, since each viewer controls its own position and speed. */
  async playback(deviceId: string, channelId: string, startTime: number, endTime: number, transport?: StreamTransport): Promise<StreamDto> {
    if (!(endTime > startTime)) throw new GatewayError('VALIDATION_FAILED', 'end: must be after start');
    return this.toDto(await this.open(deviceId, channelId, { kind: 'playback', transport, startTime, endTime }));
  }

  async open(deviceId: string, channelId: string, o: OpenStreamOptions): Promise<Stream> {
    const sub = o.kind === 'live' && o.stream === 'sub';
    const liveId = StreamsService.streamIdOf(deviceId, channelId, sub ? 'sub' : 'main');
    if (o.kind === 'live') {
      const existing = this.streams.get(liveId);
      if (existing) {
        if (!o.holder) existing.lastViewAt = Date.now();
        await existing.ready;
        return existing;
      }
    }
    const virtual = this.virtualSources.find((v) => v.owns(deviceId));
    if (virtual && o.kind !== 'live') throw new GatewayError('VALIDATION_FAILED', `${o.kind}: a stream proxy has no recordings on a device`);
    const device = virtual ? undefined : this.devices.requireOnline(deviceId);
    await (virtual ?? this.devices).requireChannel(deviceId, channelId);
    // requireChannel awaited: a concurrent play of the same channel may have started meanwhile.
    if (o.kind === 'live' && this.streams.has(liveId)) return this.open(deviceId, channelId, o);
    const streamId = o.kind === 'live' ? liveId : `${liveId}_${o.kind[0]}${(++this.streamSerial).toString(36)}`;
    const transport = virtual?.transport ?? o.transport ?? device!.streamTransport;
    const ssrc = this.ssrcs.take((serial) => buildSsrc({ history: o.kind !== 'live', platformId: this.cfg.SIP_ID, streamNumber: serial }));
    const mediaIp = this.cfg.MEDIA_IP ?? device?.flow.localHost ?? '127.0.0.1';
    const muxed = this.mux && transport !== 'tcp-active' ? this.mux : undefined;
    const sessionName = o.kind === 'live' ? 'Play' : o.kind === 'playback' ? 'Playback' : 'Download';
    const mediaFor = (port: number) =>
      new MediaSession({
        mux: muxed, streamId, transport, bindHost: this.cfg.MEDIA_BIND_HOST, port, ssrc: ssrcToNumber(ssrc), hlsRoot: this.hlsRoot,
        ffmpegPath: this.ffmpegPath, mp4Path: typeof o.remux === 'object' ? o.remux.mp4Path : undefined, hlsMuxer: this.cfg.HLS_MUXER,
        silentAudio: this.cfg.MEDIA_SILENT_AUDIO || this.learnedAudio.has(liveId),
        onUndeclaredAudio: (codec) => this.learnAudio(liveId, codec),
      });
    const session: StreamSession = new StreamSession({
      streamId, deviceId, channelId, kind: o.kind, transport, ssrc, mediaIp,
      scheduler: realScheduler,
      noMediaTimeoutMs: this.cfg.STREAM_NO_RTP_TIMEOUT_MS,
      log: (level, m) => this.log[level](m),
      signalling: virtual ? virtual.signalling(deviceId, channelId) : this.signalling.forStream(deviceId, channelId, ssrc),
      buildOffer: (port) =>
        buildGbOffer({
          sessionName, platformId: this.cfg.SIP_ID, ip: mediaIp, port, transport, ssrc, channelId,
          startTime: o.startTime, endTime: o.endTime, downloadSpeed: o.downloadSpeed,
          // The main stream is what a device sends unasked: only the substream is named (streamnumber 1, or the device's style).
          ...(sub ? { streamNumber: 1, substreamStyle: this.substreamStyleOf(deviceId) } : {}),
        }),
      bindMedia: async () => {
        if (muxed) {
          const media = mediaFor(muxed.port);
          await media.open();
          return { media, port: muxed.port, release: () => undefined };
        }
        const { port, value: media } = await openOnFreePort(this.ports, async (p) => {
          const m = mediaFor(p);
          await m.open(); // a failed open closes its own socket (no descriptor leak)
          return m;
        });
        return { media, port, release: () => this.ports.release(port) };
      },
    });
    session.stream = sub ? 'sub' : 'main';
    session.startTime = o.startTime;
    session.endTime = o.endTime;
    this.streams.set(streamId, session);
    session.on('closed', (reason) => this.onClosed(session, reason));
    if (o.kind === 'live' && !virtual && this.cfg.PLAY_KEYFRAME_REQUEST) {
      const onAnswered = (state: string) => {
        if (state !== 'answered') return;
        session.off('state', onAnswered);
        this.requestKeyframe(deviceId, channelId, streamId);
      };
      session.on('state', onAnswered);
    }
    this.onSessionCreated?.(session);
    await session.start();
    return session;
  }

  private onClosed(s: StreamSession, reason: CloseReason): void {
    if (this.streams.get(s.streamId) === s) this.streams.delete(s.streamId);
    if (reason.kind === 'failed') {
      this.failed.push(s);
      if (this.failed.length > MAX_FAILED_STREAMS_LISTED) this.failed.shift();
    } else if (reason.why !== 'stopped' && reason.why !== 'shutdown') {
      this.log.log(`${s.streamId} closed: ${reason.message}`);
    }
    this.ssrcs.release(s.offeredSsrc);
  }

  /**
   * Playback control over INFO, body Application/MANSRTSP (GB/T 28181-2016 Annex B):
   * PAUSE with PauseTime: now; PLAY with Range: npt=now- (resume) or npt=<s>- (seek); PLAY with Scale: <x> (speed).
   */
  async control(streamId: string, c: MansrtspCommand): Promise<{ status: number; body: string }> {
    const s = this.streams.get(streamId);
    if (!s) throw new GatewayError('STREAM_NOT_FOUND', `no stream ${streamId}`);
    if (s.kind === 'live') throw new GatewayError('VALIDATION_FAILED', 'action: live streams cannot be paused, sought or sped up; use a playback stream');
    this.devices.requireOnline(s.deviceId);
    if (!s.dialog) throw new GatewayError('CONFLICT', `stream ${streamId} has no established dialog`);
    s.rtspCseq++;
    const body = buildMansrtsp(c, s.rtspCseq);
    const res = await s.info(Buffer.from(body), 'Application/MANSRTSP');
    if (res.status >= 300) throw new GatewayError('DEVICE_REFUSED', `device refused ${c.action}: ${res.status} ${res.reason}`, { sipStatus: res.status });
    if (c.action === 'pause') s.paused = true;
    if (c.action === 'resume' || c.action === 'seek') s.paused = false;
    if (c.action === 'speed') s.scale = c.scale;
    return { status: res.status, body };
  }

  /** MediaStatus 121 (GB/T 28181 §9.7.4): the device finished sending a recorded file. */
  onMediaStatus(deviceId: string, notifyType: string): void {
    if (notifyType !== '121') return;
    for (const s of [...this.streams.values()]) {
      if (s.deviceId === deviceId && s.kind !== 'live' && s.isOpen) {
        this.log.log(`${s.streamId}: device reports end of file (MediaStatus 121)`);
        s.ended = true;
        void s.close({ kind: 'closed', why: 'ended', message: 'the device reported the end of the file (MediaStatus 121)' });
      }
    }
  }

  private onBye({ req, respond }: IncomingRequest): void {
    const callId = req.headers.get('call-id');
    const s = [...this.streams.values()].find((x) => x.dialog?.callId === callId);
    if (!s) return respond(481, 'Call/Transaction Does Not Exist');
    respond(200, 'OK');
    this.log.log(`${s.streamId}: device sent BYE`);
    void s.remoteBye();
  }

  /** Closes every stream of a device (BYE sent while its flow is known), e.g. when it is deleted or goes offline. */
  async closeDevice(deviceId: string, why: string): Promise<void> {
    const mine = [...this.streams.values()].filter((s) => s.deviceId === deviceId);
    if (mine.length) this.log.log(`device ${deviceId} ${why}: closing its ${mine.length} stream(s)`);
    await Promise.all(mine.map((s) => s.close({ kind: 'closed', why: 'device-gone', message: `device ${deviceId} went away (${why})` })));
  }

  async stop(streamId: string): Promise<void> {
    const s = this.streams.get(streamId);
    if (!s) {
      const i = this.failed.findIndex((x) => x.streamId === streamId);
      if (i < 0) throw new GatewayError('STREAM_NOT_FOUND', `no stream ${streamId}`);
      this.failed.splice(i, 1); // already torn down: just forget it
      return;
    }
    await s.close({ kind: 'closed', why: 'stopped', message: 'stopped' });
  }

  private sweepIdle(): void {
    const now = Date.now();
    while (this.failed.length && now - this.failed[0]!.createdAt > FAILED_STREAM_LINGER_MS) this.failed.shift();
    for (const s of [...this.streams.values()]) {
      const media = s.mediaSession;
      if (s.state !== 'playing' || s.kind === 'download' || !media) continue;
      if (s.holders > 0) continue; // an upward send (a superior watching) keeps it open; its idle clock runs on from the last view
      const viewers = s.flvViewers + media.flv.subscribers;
      if (viewers > 0) s.lastViewAt = now;
      else if (now - s.lastViewAt > this.cfg.STREAM_IDLE_TIMEOUT_MS) {
        this.log.log(`${s.streamId}: no viewer for ${this.cfg.STREAM_IDLE_TIMEOUT_MS} ms, tearing down`);
        void s.close({ kind: 'closed', why: 'idle', message: `no viewer for ${this.cfg.STREAM_IDLE_TIMEOUT_MS} ms` });
      }
    }
  }

  toDto(s: Stream): StreamDto {
    const media = s.mediaSession;
    const i = media?.info();
    const token = this.tokens.sign(s.streamId);
    const q = `token=${encodeURIComponent(token)}`;
    // Absolute when PUBLIC_URL is set: the URL must reach this node even when another node answered the API call.
    const base = this.cfg.PUBLIC_URL ? this.cfg.PUBLIC_URL.replace(/\/+$/, '') : '';
    const recentViewers = Date.now() - s.lastViewAt < 10_000 ? 1 : 0;
    return {
      streamId: s.streamId, deviceId: s.deviceId, channelId: s.channelId, kind: s.kind, ...(s.kind === 'live' ? { stream: s.stream } : {}), transport: s.transport, state: s.state,
      callId: s.callId,
      viewers: s.isOpen ? (media?.flv.subscribers ?? 0) + s.webrtcViewers + recentViewers : 0,
      codec: i?.codec ?? null, audioCodec: i?.audioCodec ?? null, ...(i ? { audioTrack: i.audioTrack, audioUndeclaredUnits: i.audioUndeclaredUnits } : {}), width: i?.width ?? null, height: i?.height ?? null, bitrateKbps: i?.bitrateKbps ?? 0,
      packets: i?.packets ?? 0, packetsLost: i?.packetsLost ?? 0, wrongSsrc: i?.wrongSsrc ?? 0, garbage: i?.garbage ?? 0, ssrc: s.ssrc, offered: s.offered, source: i?.source ?? null,
      remuxRestarts: i?.remuxRestarts ?? 0, remuxLastExit: i?.remuxLastExit ?? null,
      since: new Date(s.createdAt).toISOString(), error: s.error, errorCode: s.errorCode, ...(s.sipStatus !== undefined ? { sipStatus: s.sipStatus } : {}),
      paused: s.paused, scale: s.scale, ended: s.ended,
      urls: {
        hls: `${base}/live/${s.streamId}/index.m3u8?${q}`,
        flv: `${base}/flv/${s.streamId}.flv?${q}`,
        // ws(s):// of PUBLIC_URL; without it a path the API controller completes with the request's host (withWsFlvOrigin).
        wsFlv: `${base.replace(/^http/, 'ws')}/flv/${s.streamId}.flv?${q}`,
        player: `${base}/play/${s.streamId}?${q}`,
        webrtc: `${base}/whep/${s.streamId}?${q}`,
      },
    };
  }

  hlsPath(streamId: string, file: string): string {
    return join(this.hlsRoot, streamId, file);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    this.unsubscribe?.();
    // BYE to all, then the sockets.
    await Promise.all([...this.streams.values()].map((s) => s.close({ kind: 'closed', why: 'shutdown', message: 'gateway shutting down' })));
    this.signalling.close();
    await this.mux?.close();
  }
}
