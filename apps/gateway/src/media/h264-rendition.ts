import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { FlvMuxer, MediaTimeline, findResolution, type PsAccessUnit } from '@gb/gb28181';
import { FlvFanout } from './flv-fanout';
import { HlsStore } from './hls-store';
import { InternalHlsRemuxer } from './internal-hls-remuxer';
import { H264Transcoder, type H264TranscoderOptions } from './h264-transcoder';

export interface H264RenditionOptions extends H264TranscoderOptions {
  /** The rendition's own stream ID (its HLS directory and URLs), e.g. `<source>_h264`. */
  streamId: string;
  hlsRoot: string;
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

  /** The transcoder's process ID (benchmarks measure its CPU). */
  get pid(): number | undefined {
    return this.transcoder.pid;
  }

  /** A video access unit of the H.265 source. */
  write(au: PsAccessUnit): void {
    if (!this.closed) this.transcoder.write(au);
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
      this.flv.pushHeader(FlvMuxer.header());
      this.remuxer = new InternalHlsRemuxer({ hlsDir: this.hlsDir, store: this.hls });
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
