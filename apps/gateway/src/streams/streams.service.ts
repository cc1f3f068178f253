import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { join, resolve } from 'node:path';
import { buildGbOffer, buildSsrc, parseSdp, ssrcToNumber, type SipResponse } from '@gb/gb28181';
import type { StreamTransport } from '@gb/contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { GatewayError } from '../common/gateway-error';
import { DevicesService } from '../devices/devices.service';
import { SipService } from '../sip/sip.service';
import type { IncomingRequest } from '../sip/sip-endpoint';
import { MediaSession } from '../media/media-session';
import { PortPool } from '../media/port-pool';
import { RtpPortMux } from '../media/rtp-port-mux';
import { resolveFfmpeg } from '../media/ffmpeg-binary';
import { MediaTokens } from './media-tokens';
import { DeviceMessagesService } from '../devices/device-messages.service';
import type { StreamDto, StreamState } from './stream.types';

interface Dialog {
  callId: string;
  fromTag: string;
  toTag?: string;
  cseq: number;
}

export type StreamKind = 'live' | 'playback' | 'download';

export interface OpenStreamOptions {
  kind: StreamKind;
  transport?: StreamTransport;
  /** Playback/Download: unix seconds. */
  startTime?: number;
  endTime?: number;
  /** Download: a=downloadspeed (1, 2, 4, …). */
  downloadSpeed?: number;
  /** Extra media consumers (e.g. an MP4 writer for downloads) instead of HLS/FLV. */
  remux?: 'browser' | { mp4Path: string };
}

export interface Stream {
  streamId: string;
  deviceId: string;
  channelId: string;
  kind: StreamKind;
  startTime?: number;
  endTime?: number;
  transport: StreamTransport;
  state: StreamState;
  ssrc: string;
  offered: string;
  media: MediaSession;
  port: number;
  dialog?: Dialog;
  createdAt: number;
  lastViewAt: number;
  /** Open FLV connections. */
  flvViewers: number;
  error: string | null;
  ready: Promise<void>;
  timers: NodeJS.Timeout[];
  rtspCseq?: number;
  paused?: boolean;
  scale?: number;
  /** The device said the recording ended (MediaStatus 121). */
  ended?: boolean;
  /** Called once the stream is closed, whatever the cause. */
  onClosed?: () => void;
  /** Ends a pending wait for the first keyframe (set while waiting). */
  abortReady?: (e: Error) => void;
}

/**
 * Play / stop use-cases: reserve a media receiver, INVITE the device with its address (GB/T 28181 §9.2),
 * ACK, attach, and tear both down on BYE, idle, no-RTP or errors. SIP and media do not know each other; this does.
 */
@Injectable()
export class StreamsService implements OnModuleInit, OnApplicationShutdown {
  private readonly log = new Logger('streams');
  private readonly streams = new Map<string, Stream>();
  private readonly ports: PortPool;
  private streamSerial = 0;
  private readonly ffmpegPath: string;
  readonly hlsRoot: string;
  private sweeper?: NodeJS.Timeout;
  /** Single-port mode's shared receiver (RTP_SINGLE_PORT). */
  private mux?: RtpPortMux;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    private readonly sip: SipService,
    private readonly devices: DevicesService,
    private readonly tokens: MediaTokens,
    private readonly messages: DeviceMessagesService,
  ) {
    this.ports = new PortPool(cfg.RTP_PORT_MIN, cfg.RTP_PORT_MAX);
    this.ffmpegPath = resolveFfmpeg({ ...process.env, FFMPEG_PATH: cfg.FFMPEG_PATH });
    this.hlsRoot = resolve(cfg.DATA_DIR, 'hls');
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
    this.sweeper = setInterval(() => this.sweepIdle(), 1000);
  }

  static streamIdOf(deviceId: string, channelId: string): string {
    return `${deviceId}_${channelId}`;
  }

  get(streamId: string): Stream | undefined {
    return this.streams.get(streamId);
  }

  list(): StreamDto[] {
    return [...this.streams.values()].map((s) => this.toDto(s));
  }

  /** Counts a viewer's fetch (HLS playlist/segment) so an idle stream can be told from a watched one. */
  touch(streamId: string): void {
    const s = this.streams.get(streamId);
    if (s) s.lastViewAt = Date.now();
  }

  /** Live view: a second viewer of the same channel joins the running stream. */
  async play(deviceId: string, channelId: string, transport?: StreamTransport): Promise<StreamDto> {
    return this.toDto(await this.open(deviceId, channelId, { kind: 'live', transport }));
  }

  /** Recorded video (s=Playback): always a new stream, since each viewer controls its own position and speed. */
  async playback(deviceId: string, channelId: string, startTime: number, endTime: number, transport?: StreamTransport): Promise<StreamDto> {
    if (!(endTime > startTime)) throw new GatewayError('VALIDATION_FAILED', 'end: must be after start');
    return this.toDto(await this.open(deviceId, channelId, { kind: 'playback', transport, startTime, endTime }));
  }

  async open(deviceId: string, channelId: string, o: OpenStreamOptions): Promise<Stream> {
    const streamId = o.kind === 'live' ? StreamsService.streamIdOf(deviceId, channelId) : `${deviceId}_${channelId}_${o.kind[0]}${(++this.streamSerial).toString(36)}`;
    const existing = this.streams.get(streamId);
    if (existing && existing.state !== 'failed' && existing.state !== 'closed') {
      existing.lastViewAt = Date.now();
      await existing.ready;
      return existing;
    }
    const device = this.devices.requireOnline(deviceId);
    const t = o.transport ?? device.streamTransport;
    const serial = (this.streamSerial = (this.streamSerial % 9999) + 1);
    const ssrc = buildSsrc({ history: o.kind !== 'live', platformId: this.cfg.SIP_ID, streamNumber: serial });
    const mediaIp = this.cfg.MEDIA_IP ?? device.flow.localHost;
    const muxed = this.mux && t !== 'tcp-active' ? this.mux : undefined;
    const port = muxed ? muxed.port : this.ports.take();
    const media = new MediaSession({
      mux: muxed,
      streamId, transport: t, bindHost: this.cfg.MEDIA_BIND_HOST, port, ssrc: ssrcToNumber(ssrc), hlsRoot: this.hlsRoot, ffmpegPath: this.ffmpegPath,
      mp4Path: typeof o.remux === 'object' ? o.remux.mp4Path : undefined, hlsMuxer: this.cfg.HLS_MUXER,
    });
    const stream: Stream = {
      streamId, deviceId, channelId, kind: o.kind, startTime: o.startTime, endTime: o.endTime, transport: t, state: 'inviting', ssrc,
      offered: `${mediaIp}:${port} (${t})`, media, port, createdAt: Date.now(), lastViewAt: Date.now(), flvViewers: 0,
      error: null, ready: Promise.resolve(), timers: [],
    };
    this.streams.set(streamId, stream);
    stream.ready = this.start(stream, device.flow, mediaIp, o).catch(async (e) => {
      await this.fail(stream, (e as Error).message);
      throw e;
    });
    await stream.ready;
    return stream;
  }

  private async start(s: Stream, flow: Parameters<SipService['send']>[0]['flow'], mediaIp: string, o: OpenStreamOptions): Promise<void> {
    try {
      await s.media.open();
    } catch (e) {
      throw new GatewayError('CONFLICT', `could not open RTP port ${s.port}: ${(e as Error).message}`);
    }
    const sessionName = o.kind === 'live' ? 'Play' : o.kind === 'playback' ? 'Playback' : 'Download';
    const sdp = buildGbOffer({
      sessionName, platformId: this.cfg.SIP_ID, ip: mediaIp, port: s.port, transport: s.transport, ssrc: s.ssrc,
      channelId: s.channelId, startTime: o.startTime, endTime: o.endTime, downloadSpeed: o.downloadSpeed,
    });
    const dialog: Dialog = { callId: `${Date.now().toString(36)}${Math.random().toString(36).slice(2)}@${mediaIp}`, fromTag: Math.random().toString(36).slice(2, 12), cseq: this.sip.nextCseq() };
    s.dialog = dialog;
    const invite = this.sip.build({
      method: 'INVITE', targetId: s.channelId, flow, callId: dialog.callId, fromTag: dialog.fromTag, cseq: dialog.cseq,
      // Subject: <media sender id>:<sender serial>,<receiver id>:<receiver serial> (GB/T 28181 §9.2)
      headers: [['Subject', `${s.channelId}:${s.ssrc},${this.cfg.SIP_ID}:0`]],
      body: Buffer.from(sdp), contentType: 'APPLICATION/SDP',
    });
    let res: SipResponse;
    try {
      res = await withTimeout(this.sip.endpoint.request(invite, flow, undefined, (retransmitted) => this.ack(s, flow, retransmitted)), this.cfg.INVITE_TIMEOUT_MS);
    } catch (e) {
      throw new GatewayError('DEVICE_TIMEOUT', `device ${s.deviceId} did not answer the INVITE for ${s.channelId} within ${this.cfg.INVITE_TIMEOUT_MS} ms`, { offered: s.offered }, { cause: e });
    }
    if (res.status >= 300) throw new GatewayError('DEVICE_TIMEOUT', `device ${s.deviceId} refused the INVITE for ${s.channelId}: ${res.status} ${res.reason}`, { status: res.status });
    this.ack(s, flow, res);
    let answer;
    try {
      answer = parseSdp(res.body.toString('utf8'));
    } catch (e) {
      this.bye(s);
      throw new GatewayError('DEVICE_TIMEOUT', `device ${s.deviceId} answered the INVITE with an unreadable SDP: ${(e as Error).message}`);
    }
    // The device may choose its own SSRC (y=): adopt it (GB/T 28181 Annex F).
    if (answer.ssrc && /^\d{1,10}$/.test(answer.ssrc) && answer.ssrc !== s.ssrc) {
      this.log.log(`${s.streamId}: device answered y=${answer.ssrc} instead of ${s.ssrc}; adopting it`);
      s.ssrc = answer.ssrc;
      s.media.receiver.setSsrc(ssrcToNumber(answer.ssrc));
    }
    if (s.transport === 'tcp-active') {
      const m = answer.media.find((x) => x.type === 'video') ?? answer.media[0];
      const host = m?.connection?.address ?? answer.connection?.address;
      if (!m || !host || !m.port) {
        this.bye(s);
        throw new GatewayError('DEVICE_TIMEOUT', `device ${s.deviceId} answered TCP active without an address and port to connect to`);
      }
      s.media.receiver.connect(host, m.port);
    }
    s.state = 'waiting-media';
    s.media.on('failed', (e) => void this.fail(s, e.message));
    const noRtp = setTimeout(() => {
      if (s.state !== 'waiting-media') return;
      const st = s.media.receiver.stats;
      const why = st.packets > 0
        ? `RTP arrived (${st.packets} packets from ${st.source}) but no decodable video keyframe`
        : st.wrongSsrc > 0 || st.garbage > 0
          ? `packets arrived at ${s.offered} but none matched: ${st.wrongSsrc} with another SSRC than ${s.ssrc}, ${st.garbage} not RTP`
          : `no packet at all arrived at ${s.offered}: check that the device can reach this address (MEDIA_IP) and that the port is open`;
      void this.fail(s, `no media within ${this.cfg.STREAM_NO_RTP_TIMEOUT_MS} ms: ${why}`, true);
    }, this.cfg.STREAM_NO_RTP_TIMEOUT_MS);
    s.timers.push(noRtp);
    await new Promise<void>((resolveReady, reject) => {
      // fail()/stop() end the wait with the stream's error.
      s.abortReady = (e) => reject(e);
      s.media.once('ready', () => {
        clearTimeout(noRtp);
        s.abortReady = undefined;
        s.state = 'playing';
        s.lastViewAt = Date.now();
        this.log.log(`${s.streamId} playing (${s.transport}, ssrc ${s.ssrc})`);
        resolveReady();
      });
    });
  }

  private ack(s: Stream, flow: Parameters<SipService['send']>[0]['flow'], res: SipResponse): void {
    const d = s.dialog;
    if (!d || res.status < 200 || res.status >= 300) return;
    d.toTag = toTagOf(res) ?? d.toTag;
    const ack = this.sip.build({ method: 'ACK', targetId: s.channelId, flow, callId: d.callId, fromTag: d.fromTag, toTag: d.toTag, cseq: d.cseq });
    this.sip.transport.send(ack, flow);
  }

  private bye(s: Stream): void {
    const d = s.dialog;
    const device = this.devices.get(s.deviceId);
    if (!d?.toTag || !device) return;
    d.cseq++;
    this.sip.send({ method: 'BYE', targetId: s.channelId, flow: device.flow, callId: d.callId, fromTag: d.fromTag, toTag: d.toTag, cseq: d.cseq }).catch(() => undefined);
    d.toTag = undefined;
  }

  /**
   * Playback control over INFO, body Application/MANSRTSP (GB/T 28181-2016 Annex B):
   * PAUSE with PauseTime: now; PLAY with Range: npt=now- (resume) or npt=<s>- (seek); PLAY with Scale: <x> (speed).
   */
  async control(streamId: string, c: { action: 'pause' | 'resume' | 'seek' | 'speed'; position?: number; scale?: number }): Promise<{ status: number; body: string }> {
    const s = this.streams.get(streamId);
    if (!s) throw new GatewayError('CHANNEL_NOT_FOUND', `no stream ${streamId}`);
    if (s.kind === 'live') throw new GatewayError('VALIDATION_FAILED', 'action: live streams cannot be paused, sought or sped up; use a playback stream');
    const device = this.devices.requireOnline(s.deviceId);
    const d = s.dialog;
    if (!d?.toTag) throw new GatewayError('CONFLICT', `stream ${streamId} has no established dialog`);
    s.rtspCseq = (s.rtspCseq ?? 0) + 1;
    const body = mansrtsp(c, s.rtspCseq);
    d.cseq++;
    const res = await this.sip.send({
      method: 'INFO', targetId: s.channelId, flow: device.flow, callId: d.callId, fromTag: d.fromTag, toTag: d.toTag, cseq: d.cseq,
      body: Buffer.from(body), contentType: 'Application/MANSRTSP',
    });
    if (res.status >= 300) throw new GatewayError('DEVICE_TIMEOUT', `device refused ${c.action}: ${res.status} ${res.reason}`, { status: res.status });
    if (c.action === 'pause') s.paused = true;
    if (c.action === 'resume' || c.action === 'seek') s.paused = false;
    if (c.action === 'speed') s.scale = c.scale;
    return { status: res.status, body };
  }

  /** MediaStatus 121 (GB/T 28181 §9.7.4): the device finished sending a recorded file. */
  onMediaStatus(deviceId: string, notifyType: string): void {
    if (notifyType !== '121') return;
    for (const s of this.streams.values()) {
      if (s.deviceId === deviceId && s.kind !== 'live' && (s.state === 'playing' || s.state === 'waiting-media')) {
        this.log.log(`${s.streamId}: device reports end of file (MediaStatus 121)`);
        s.ended = true;
        void this.stop(s.streamId).catch(() => undefined);
      }
    }
  }

  private onBye({ req, respond }: IncomingRequest): void {
    const callId = req.headers.get('call-id');
    const s = [...this.streams.values()].find((x) => x.dialog?.callId === callId);
    if (!s) return respond(481, 'Call/Transaction Does Not Exist');
    respond(200, 'OK');
    if (s.dialog) s.dialog.toTag = undefined; // the dialog is over: no BYE back
    this.log.log(`${s.streamId}: device sent BYE`);
    void this.stop(s.streamId);
  }

  private async fail(s: Stream, message: string, sendBye = true): Promise<void> {
    if (s.state === 'failed' || s.state === 'closed') return;
    this.log.warn(`${s.streamId} failed: ${message}`);
    s.error = message;
    s.state = 'failed';
    s.abortReady?.(new GatewayError('DEVICE_TIMEOUT', message, { offered: s.offered }));
    s.abortReady = undefined;
    if (sendBye) this.bye(s);
    await this.release(s);
  }

  async stop(streamId: string): Promise<void> {
    const s = this.streams.get(streamId);
    if (!s) throw new GatewayError('CHANNEL_NOT_FOUND', `no stream ${streamId}`);
    this.streams.delete(streamId);
    if (s.state !== 'failed') this.bye(s);
    s.state = 'closed';
    s.abortReady?.(new GatewayError('CONFLICT', `stream ${streamId} was stopped before it started`));
    s.abortReady = undefined;
    await this.release(s);
  }

  private async release(s: Stream): Promise<void> {
    for (const t of s.timers) clearTimeout(t), clearInterval(t);
    s.timers = [];
    await s.media.close();
    if (!this.mux || s.port !== this.mux.port) this.ports.release(s.port);
    try {
      s.onClosed?.();
    } catch {
      /* a listener's failure is its own */
    }
  }

  private sweepIdle(): void {
    const now = Date.now();
    for (const s of this.streams.values()) {
      if (s.state === 'failed' && now - s.createdAt > 60_000) this.streams.delete(s.streamId);
      if (s.state !== 'playing' || s.kind === 'download') continue;
      const viewers = s.flvViewers + s.media.flv.subscribers;
      if (viewers > 0) s.lastViewAt = now;
      else if (now - s.lastViewAt > this.cfg.STREAM_IDLE_TIMEOUT_MS) {
        this.log.log(`${s.streamId}: no viewer for ${this.cfg.STREAM_IDLE_TIMEOUT_MS} ms, tearing down`);
        void this.stop(s.streamId);
      }
    }
  }

  toDto(s: Stream): StreamDto {
    const i = s.media.info();
    const token = this.tokens.sign(s.streamId);
    const q = `token=${encodeURIComponent(token)}`;
    const recentViewers = Date.now() - s.lastViewAt < 10_000 ? 1 : 0;
    return {
      streamId: s.streamId, deviceId: s.deviceId, channelId: s.channelId, kind: s.kind, transport: s.transport, state: s.state,
      viewers: s.media.flv.subscribers + recentViewers,
      codec: i.codec, audioCodec: i.audioCodec, width: i.width, height: i.height, bitrateKbps: i.bitrateKbps,
      packets: i.packets, packetsLost: i.packetsLost, wrongSsrc: i.wrongSsrc, garbage: i.garbage, ssrc: s.ssrc, offered: s.offered, source: i.source,
      since: new Date(s.createdAt).toISOString(), error: s.error, paused: s.paused, scale: s.scale, ended: s.ended,
      urls: {
        hls: `/live/${s.streamId}/index.m3u8?${q}`,
        flv: `/flv/${s.streamId}.flv?${q}`,
        wsFlv: `/flv/${s.streamId}.flv?${q}`,
        player: `/play/${s.streamId}?${q}`,
      },
    };
  }

  hlsPath(streamId: string, file: string): string {
    return join(this.hlsRoot, streamId, file);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.streams.keys()].map((id) => this.stop(id).catch(() => undefined)));
    await this.mux?.close();
  }
}

/** MANSRTSP body (GB/T 28181-2016 Annex B). */
export function mansrtsp(c: { action: 'pause' | 'resume' | 'seek' | 'speed'; position?: number; scale?: number }, cseq: number): string {
  const lines =
    c.action === 'pause'
      ? ['PAUSE RTSP/1.0', `CSeq: ${cseq}`, 'PauseTime: now']
      : c.action === 'resume'
        ? ['PLAY RTSP/1.0', `CSeq: ${cseq}`, 'Range: npt=now-']
        : c.action === 'seek'
          ? ['PLAY RTSP/1.0', `CSeq: ${cseq}`, `Range: npt=${Math.max(0, Math.floor(c.position ?? 0))}-`]
          : ['PLAY RTSP/1.0', `CSeq: ${cseq}`, `Scale: ${(c.scale ?? 1).toFixed(c.scale !== undefined && !Number.isInteger(c.scale) ? 2 : 1)}`];
  return lines.join('\r\n') + '\r\n\r\n';
}

function toTagOf(res: SipResponse): string | undefined {
  const to = res.headers.get('to') ?? '';
  const m = /;\s*tag=([^;>\s]+)/i.exec(to);
  return m?.[1];
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then((v) => (clearTimeout(t), resolve(v)), (e) => (clearTimeout(t), reject(e)));
  });
}
