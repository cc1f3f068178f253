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
import { resolveFfmpeg } from '../media/ffmpeg-binary';
import { MediaTokens } from './media-tokens';
import type { StreamDto, StreamState } from './stream.types';

interface Dialog {
  callId: string;
  fromTag: string;
  toTag?: string;
  cseq: number;
}

export interface Stream {
  streamId: string;
  deviceId: string;
  channelId: string;
  kind: 'live';
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

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    private readonly sip: SipService,
    private readonly devices: DevicesService,
    private readonly tokens: MediaTokens,
  ) {
    this.ports = new PortPool(cfg.RTP_PORT_MIN, cfg.RTP_PORT_MAX);
    this.ffmpegPath = resolveFfmpeg({ ...process.env, FFMPEG_PATH: cfg.FFMPEG_PATH });
    this.hlsRoot = resolve(cfg.DATA_DIR, 'hls');
  }

  onModuleInit(): void {
    this.sip.on('BYE', (r) => this.onBye(r));
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

  async play(deviceId: string, channelId: string, transport?: StreamTransport): Promise<StreamDto> {
    const streamId = StreamsService.streamIdOf(deviceId, channelId);
    const existing = this.streams.get(streamId);
    if (existing && existing.state !== 'failed' && existing.state !== 'closed') {
      existing.lastViewAt = Date.now();
      await existing.ready;
      return this.toDto(existing);
    }
    const device = this.devices.requireOnline(deviceId);
    const t = transport ?? device.streamTransport;
    const serial = (this.streamSerial = (this.streamSerial % 9999) + 1);
    const ssrc = buildSsrc({ history: false, platformId: this.cfg.SIP_ID, streamNumber: serial });
    const mediaIp = this.cfg.MEDIA_IP ?? device.flow.localHost;
    const port = this.ports.take();
    const media = new MediaSession({ streamId, transport: t, bindHost: this.cfg.MEDIA_BIND_HOST, port, ssrc: ssrcToNumber(ssrc), hlsRoot: this.hlsRoot, ffmpegPath: this.ffmpegPath });
    const stream: Stream = {
      streamId, deviceId, channelId, kind: 'live', transport: t, state: 'inviting', ssrc,
      offered: `${mediaIp}:${port} (${t})`, media, port, createdAt: Date.now(), lastViewAt: Date.now(), flvViewers: 0,
      error: null, ready: Promise.resolve(), timers: [],
    };
    this.streams.set(streamId, stream);
    stream.ready = this.start(stream, device.flow, mediaIp).catch(async (e) => {
      await this.fail(stream, (e as Error).message);
      throw e;
    });
    await stream.ready;
    return this.toDto(stream);
  }

  private async start(s: Stream, flow: Parameters<SipService['send']>[0]['flow'], mediaIp: string): Promise<void> {
    try {
      await s.media.open();
    } catch (e) {
      throw new GatewayError('CONFLICT', `could not open RTP port ${s.port}: ${(e as Error).message}`);
    }
    const sdp = buildGbOffer({ sessionName: 'Play', platformId: this.cfg.SIP_ID, ip: mediaIp, port: s.port, transport: s.transport, ssrc: s.ssrc });
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
      const onReady = () => {
        clearTimeout(noRtp);
        s.state = 'playing';
        s.lastViewAt = Date.now();
        this.log.log(`${s.streamId} playing (${s.transport}, ssrc ${s.ssrc})`);
        resolveReady();
      };
      s.media.once('ready', onReady);
      const check = setInterval(() => {
        if (s.state === 'failed' || s.state === 'closed') {
          clearInterval(check);
          reject(new GatewayError('DEVICE_TIMEOUT', s.error ?? 'stream closed'));
        }
        if (s.state === 'playing') clearInterval(check);
      }, 100);
      s.timers.push(check);
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
    if (sendBye) this.bye(s);
    await this.release(s);
  }

  async stop(streamId: string): Promise<void> {
    const s = this.streams.get(streamId);
    if (!s) throw new GatewayError('CHANNEL_NOT_FOUND', `no stream ${streamId}`);
    this.streams.delete(streamId);
    if (s.state !== 'failed') this.bye(s);
    s.state = 'closed';
    await this.release(s);
  }

  private async release(s: Stream): Promise<void> {
    for (const t of s.timers) clearTimeout(t), clearInterval(t);
    s.timers = [];
    await s.media.close();
    this.ports.release(s.port);
  }

  private sweepIdle(): void {
    const now = Date.now();
    for (const s of this.streams.values()) {
      if (s.state === 'failed' && now - s.createdAt > 60_000) this.streams.delete(s.streamId);
      if (s.state !== 'playing') continue;
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
      packets: i.packets, packetsLost: i.packetsLost, wrongSsrc: i.wrongSsrc, ssrc: s.ssrc, offered: s.offered, source: i.source,
      since: new Date(s.createdAt).toISOString(), error: s.error,
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
  }
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
