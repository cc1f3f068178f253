import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { StreamDto } from '@gb/contracts';
import { FlvMuxer, PsDemuxer, findResolution, seqDiff, type PsAccessUnit, type RtpPacket } from '@gb/gb28181';
import { RtpReceiver, type MediaTransport } from './rtp-receiver';
import type { RtpPortMux } from './rtp-port-mux';
import { FfmpegRemuxer, type Remuxer } from './ffmpeg-remuxer';
import { FlvFanout } from './flv-fanout';
import { InternalHlsRemuxer } from './internal-hls-remuxer';

export interface MediaSessionOptions {
  streamId: string;
  transport: MediaTransport;
  bindHost: string;
  port: number;
  ssrc: number | null;
  hlsRoot: string;
  ffmpegPath: string;
  /** Download: write an MP4 file instead of HLS/FLV. */
  mp4Path?: string;
  /** 'internal': live H.264 without audio goes to HLS through InternalHlsRemuxer instead of ffmpeg. */
  hlsMuxer?: 'internal' | 'ffmpeg';
  /** Single-port mode: receive through the shared port, routed by SSRC. */
  mux?: RtpPortMux;
}

/** The media half of a stream's API figures (StreamDto), plus when the first packet and frame arrived. */
export type MediaSessionInfo = Pick<StreamDto, 'codec' | 'audioCodec' | 'width' | 'height' | 'bitrateKbps' | 'packets' | 'packetsLost' | 'wrongSsrc' | 'garbage' | 'source'> & {
  firstPacketAt: number | null;
  firstFrameAt: number | null;
};

/**
 * The media half of one stream: RTP in -> PS demux -> remux (HLS + FLV). Knows nothing of SIP.
 * Starts the remuxer on the first video keyframe, when the codec is known.
 */
export class MediaSession extends EventEmitter<{ accessUnit: [PsAccessUnit]; failed: [Error]; ready: [] }> {
  readonly receiver: RtpReceiver;
  readonly flv = new FlvFanout();
  private readonly demuxer = new PsDemuxer();
  private remuxer?: Remuxer;
  private lastSeq: number | null = null;
  private codec: 'h264' | 'h265' | null = null;
  private audioCodec: 'g711a' | 'g711u' | 'aac' | null = null;
  private width: number | null = null;
  private height: number | null = null;
  private firstFrameAt: number | null = null;
  /** First and last video PTS seen (90 kHz): how much media time arrived (download progress). */
  private firstPts: number | null = null;
  private lastPts: number | null = null;
  private bitrateWindow: { at: number; bytes: number }[] = [];
  private closed = false;
  /** H.264 goes to HTTP-FLV straight from here (no ffmpeg on that path): the first tag leaves with the first keyframe. */
  private flvMuxer: FlvMuxer | null = null;
  private lastVideoPts: number | null = null;
  private videoPtsStep = 3600;
  /** Audio units seen before the first keyframe tell us whether the stream has audio. */
  private pending: PsAccessUnit[] = [];

  constructor(private readonly opts: MediaSessionOptions) {
    super();
    this.receiver = new RtpReceiver({ transport: opts.transport, bindHost: opts.bindHost, port: opts.port, ssrc: opts.ssrc, mux: opts.mux });
    this.receiver.on('packet', (p) => this.onPacket(p));
    this.receiver.on('error', () => undefined);
  }

  get hlsDir(): string {
    return join(this.opts.hlsRoot, this.opts.streamId);
  }

  open(): Promise<void> {
    return this.receiver.open();
  }

  private onPacket(p: RtpPacket): void {
    const lost = this.lastSeq !== null && seqDiff(p.sequenceNumber, this.lastSeq) !== 1;
    this.lastSeq = p.sequenceNumber;
    let units: PsAccessUnit[];
    try {
      units = this.demuxer.push(p.payload, { lost, marker: p.marker });
    } catch {
      return; // bound violations drop the unit; the demuxer resyncs
    }
    for (const au of units) this.onUnit(au);
  }

  private onUnit(au: PsAccessUnit): void {
    if (this.closed) return;
    if (au.kind === 'audio' && (au.codec === 'g711a' || au.codec === 'g711u' || au.codec === 'aac')) this.audioCodec ??= au.codec;
    if (au.kind === 'video' && (au.codec === 'h264' || au.codec === 'h265')) {
      if (!this.codec) {
        if (!au.keyframe) return;
        this.codec = au.codec;
        const r = findResolution(au.data, au.codec);
        if (r) {
          this.width = r.width;
          this.height = r.height;
        }
        if (au.codec === 'h264' && !this.opts.mp4Path) {
          this.flvMuxer = new FlvMuxer();
          this.flv.pushHeader(FlvMuxer.header());
        }
        this.startRemuxer();
      }
      // Frames that share a PES carry no PTS: continue from the previous one by the observed frame interval.
      if (au.pts === undefined) au.pts = this.lastVideoPts === null ? 0 : this.lastVideoPts + this.videoPtsStep;
      else if (this.lastVideoPts !== null && au.pts > this.lastVideoPts && au.pts - this.lastVideoPts < 90_000) this.videoPtsStep = au.pts - this.lastVideoPts;
      this.lastVideoPts = au.pts;
      if (this.flvMuxer) for (const t of this.flvMuxer.videoTags(au.data, au.pts, au.dts ?? au.pts, au.keyframe)) this.flv.pushTag(t);
      this.firstFrameAt ??= Date.now();
      if (au.pts !== undefined) {
        this.firstPts ??= au.pts;
        if (this.lastPts === null || au.pts > this.lastPts) this.lastPts = au.pts;
      }
      const now = Date.now();
      this.bitrateWindow.push({ at: now, bytes: au.data.length });
      while (this.bitrateWindow.length && this.bitrateWindow[0]!.at < now - 5000) this.bitrateWindow.shift();
    }
    if (!this.remuxer) {
      if (au.kind === 'audio' && this.pending.length < 50) this.pending.push(au);
      return;
    }
    this.remuxer.write(au);
    this.emit('accessUnit', au);
  }

  private startRemuxer(): void {
    const internal = this.opts.hlsMuxer === 'internal' && this.codec === 'h264' && !this.audioCodec && !this.opts.mp4Path;
    const ffmpeg = () => new FfmpegRemuxer({
      ffmpegPath: this.opts.ffmpegPath,
      video: this.codec!,
      audio: this.audioCodec ?? undefined,
      outputs: this.opts.mp4Path ? { hlsDir: this.hlsDir, mp4Path: this.opts.mp4Path } : { hlsDir: this.hlsDir },
    });
    const r: Remuxer = internal ? new InternalHlsRemuxer({ hlsDir: this.hlsDir }) : ffmpeg();
    r.on('exit', (code) => {
      if (!this.closed) this.emit('failed', new Error(`${internal ? 'HLS remuxer' : 'ffmpeg'} exited (${code}): ${r.stderrTail.trim().split('\n').slice(-3).join(' | ')}`));
    });
    this.remuxer = r;
    this.pending = [];
    this.emit('ready');
  }

  /** Seconds of media received so far, by video PTS. */
  get mediaSeconds(): number {
    return this.firstPts === null || this.lastPts === null ? 0 : (this.lastPts - this.firstPts) / 90_000;
  }

  info(): MediaSessionInfo {
    const s = this.receiver.stats;
    const bytes = this.bitrateWindow.reduce((a, b) => a + b.bytes, 0);
    const span = this.bitrateWindow.length > 1 ? (this.bitrateWindow.at(-1)!.at - this.bitrateWindow[0]!.at) / 1000 : 0;
    return {
      codec: this.codec,
      audioCodec: this.audioCodec,
      width: this.width,
      height: this.height,
      bitrateKbps: span > 0 ? Math.round((bytes * 8) / span / 1000) : 0,
      packets: s.packets,
      packetsLost: s.lost,
      wrongSsrc: s.wrongSsrc,
      garbage: s.garbage,
      source: s.source,
      firstPacketAt: s.firstPacketAt,
      firstFrameAt: this.firstFrameAt,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.receiver.close();
    this.flv.close();
    await this.remuxer?.close();
  }
}
