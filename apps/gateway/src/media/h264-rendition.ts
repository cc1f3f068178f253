import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { FlvMuxer, GATEWAY_AAC_CONFIG, MediaTimeline, PS_AUDIO_STREAM_ID, adtsFrame, findResolution, type AacTrackFrame, type PsAccessUnit } from '@gb/gb28181';
import { FlvFanout } from './flv-fanout';
import { HlsStore } from './hls-store';
import { InternalHlsRemuxer } from './internal-hls-remuxer';
import { H264Transcoder, type H264TranscoderOptions } from './h264-transcoder';

export interface H264RenditionOptions extends H264TranscoderOptions {
  /** The rendition's own stream ID (its HLS directory and URLs), e.g. `<source>_h264`. */
  streamId: string;
  hlsRoot: string;
  /** Carry the source's AAC track (its frames come through writeAudio(), on the camera's clock like the video). */
  audio?: boolean;
}

/** What the rendition reports (its half of the API's StreamDto). */
export interface H264RenditionInfo {
  codec: 'h264';
  width: number | null;
  height: number | null;
  firstFrameAt: number | null;
  framesIn: number;
  framesOut: number;
  framesDropped: number;
}

/**
 * An H.264 rendition of an H.265 stream: the source's access units -> H264Transcoder (ffmpeg, libx264) -> the same
 * outputs a camera's H.264 stream has: HTTP-FLV (FlvMuxer -> FlvFanout, no ffmpeg) and HLS (InternalHlsRemuxer ->
 * MPEG-TS segments in an HlsStore). Emits `failed` when the transcoder dies while the rendition is open.
 */
export class H264Rendition extends EventEmitter<{ failed: [Error] }> {
  readonly flv = new FlvFanout();
  readonly hls = new HlsStore();
  private readonly transcoder: H264Transcoder;
  private readonly timeline = new MediaTimeline();
  private flvMuxer: FlvMuxer | null = null;
  private remuxer: InternalHlsRemuxer | null = null;
  private width: number | null = null;
  private height: number | null = null;
  private firstFrameAt: number | null = null;
  private closed = false;

  constructor(private readonly opts: H264RenditionOptions) {
    super();
    this.transcoder = new H264Transcoder(opts);
    this.transcoder.on('unit', (u) => this.onUnit(u));
    this.transcoder.on('exit', (code, signal) => {
      if (this.closed) return;
      const tail = this.transcoder.stderrTail.trim().split('\n').slice(-3).join(' | ');
      this.emit('failed', new Error(`H.264 transcoder (ffmpeg) exited (${signal ?? `code ${code}`}): ${tail}`));
    });
  }

  get hlsDir(): string {
    return join(this.opts.hlsRoot, this.opts.streamId);
  }

  /** Whether the rendition carries the source's AAC track. */
  get hasAudio(): boolean {
    return this.opts.audio === true;
  }

  /** The transcoder's process ID (benchmarks measure its CPU). */
  get pid(): number | undefined {
    return this.transcoder.pid;
  }

  /** A video access unit of the H.265 source. */
  write(au: PsAccessUnit): void {
    if (!this.closed) this.transcoder.write(au);
  }

  /**
   * One frame of the source's AAC track. The transcoder keeps the camera's timestamps, so the frame is placed on the
   * rendition's timeline by its PTS; frames before the rendition's first keyframe (ffmpeg's delay) are left out.
   */
  writeAudio(f: AacTrackFrame): void {
    if (this.closed || !this.opts.audio || !this.remuxer) return;
    const at = this.timeline.place(f.pts);
    if (at === null || at < 0) return;
    for (const tag of this.flvMuxer!.audioTags(f.raw, GATEWAY_AAC_CONFIG, at)) this.flv.pushTag(tag);
    this.remuxer.write({ kind: 'audio', codec: 'aac', streamId: PS_AUDIO_STREAM_ID, pts: f.pts, keyframe: true, data: adtsFrame(GATEWAY_AAC_CONFIG, f.raw) });
  }

  private onUnit(u: PsAccessUnit): void {
    if (this.closed) return;
    if (!this.remuxer) {
      if (!u.keyframe) return;
      const r = findResolution(u.data, 'h264');
      if (r) {
        this.width = r.width;
        this.height = r.height;
      }
      this.flvMuxer = new FlvMuxer();
      this.flv.pushHeader(FlvMuxer.header({ audio: this.opts.audio === true }));
      this.remuxer = new InternalHlsRemuxer({ hlsDir: this.hlsDir, store: this.hls, audio: this.opts.audio === true });
      this.firstFrameAt = Date.now();
    }
    const t = this.timeline.stamp(u.pts, u.dts);
    try {
      for (const tag of this.flvMuxer!.videoTags(u.data, t.pts, t.dts, u.keyframe)) this.flv.pushTag(tag);
    } catch {
      // a frame FLV cannot carry is left out of FLV only
    }
    this.remuxer.write(u);
  }

  info(): H264RenditionInfo {
    const t = this.transcoder;
    return { codec: 'h264', width: this.width, height: this.height, firstFrameAt: this.firstFrameAt, framesIn: t.framesIn, framesOut: t.framesOut, framesDropped: t.framesDropped };
  }

  /** Stops the transcoder and the outputs (viewers' FLV connections end); safe twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flv.close();
    this.hls.close();
    await Promise.all([this.transcoder.close(), this.remuxer?.close()]);
  }
}
