import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { VisionError } from '../vision-error';
import { findFfmpeg } from '@gb/runtime';
import type { RgbFrame } from './rgb-frame';

/** Bytes of ffmpeg's stderr kept for error messages. */
export const FFMPEG_STDERR_KEEP = 8 * 1024;
/** Widest frame delivered by default (aspect kept, never enlarged). */
export const DEFAULT_MAX_WIDTH = 640;

export interface FrameSourceOptions {
  /** Frames per second to sample; default 5. */
  fps?: number;
  maxWidth?: number;
  ffmpegPath?: string;
}

export interface TimedFrame {
  /** Seconds from the start of the source (frame index / fps). */
  t: number;
  frame: RgbFrame;
}

/**
 * Decodes any file or URL ffmpeg can read into RGB24 frames at a fixed rate, scaled to at most
 * `maxWidth` wide (even sizes). Async-iterable once; `close()` kills ffmpeg and is safe twice.
 * A still image yields one frame. Errors are VISION_DECODE_FAILED with the tail of ffmpeg's stderr.
 */
export class FfmpegFrameSource implements AsyncIterable<TimedFrame> {
  private child: ChildProcessByStdio<null, Readable, Readable> | null = null;
  private stderr = '';
  private closed = false;
  private readonly fps: number;
  private readonly maxWidth: number;
  private readonly ffmpeg: string;

  constructor(
    private readonly input: string,
    opts: FrameSourceOptions = {},
  ) {
    this.fps = opts.fps ?? 5;
    this.maxWidth = opts.maxWidth ?? DEFAULT_MAX_WIDTH;
    const bin = opts.ffmpegPath ?? findFfmpeg();
    if (!bin) throw new VisionError('VISION_DECODER_MISSING', 'ffmpeg not found: install ffmpeg, set FFMPEG_PATH, or npm i @ffmpeg-installer/ffmpeg');
    this.ffmpeg = bin;
  }

  /** Output size after scaling, read with ffprobe-free ffmpeg probing of the first video stream. */
  private probeSize(): { width: number; height: number; still: boolean } {
    const r = spawnSync(this.ffmpeg, ['-hide_banner', '-i', this.input], { encoding: 'utf8', timeout: 20_000 });
    const m = /Stream #\S+.*Video:.*?[ ,](\d{2,5})x(\d{2,5})[ ,\]]/.exec(r.stderr ?? '');
    if (!m) throw new VisionError('VISION_DECODE_FAILED', `no video stream in ${this.input}: ${tail(r.stderr ?? String(r.error ?? ''))}`);
    const w = Number(m[1]);
    const h = Number(m[2]);
    const outW = even(Math.min(this.maxWidth, w));
    // Still images come through the image2 / *_pipe demuxers; the fps filter would drop their only frame.
    const still = /Input #0, (image2|\w+_pipe)\b/.test(r.stderr ?? '');
    return { width: outW, height: even(Math.round((h * outW) / w)), still };
  }

  async *[Symbol.asyncIterator](): AsyncIterator<TimedFrame> {
    const { width, height, still } = this.probeSize();
    const frameBytes = width * height * 3;
    const child = spawn(
      this.ffmpeg,
      ['-hide_banner', '-nostdin', '-loglevel', 'error', '-i', this.input, '-an', '-sn',
        '-vf', `${still ? '' : `fps=${this.fps},`}scale=${width}:${height}:flags=bilinear`, ...(still ? ['-frames:v', '1'] : []), '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      this.stderr = (this.stderr + s).slice(-FFMPEG_STDERR_KEEP);
    });
    const exited = new Promise<number | null>((resolve) => {
      child.on('close', (code) => resolve(code));
      child.on('error', (err) => {
        this.stderr += String(err);
        resolve(-1);
      });
    });
    // Each frame's bytes are copied once, from the pipe's chunks straight into the buffer the frame keeps (a 1280×720
    // frame is 2.76 MB: joining the chunks and then copying the frame out cost ~5 % of the worker's busy time).
    let frame = Buffer.allocUnsafe(frameBytes);
    let filled = 0;
    let index = 0;
    try {
      for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
        let off = 0;
        while (off < chunk.length) {
          const n = Math.min(frameBytes - filled, chunk.length - off);
          chunk.copy(frame, filled, off, off + n);
          filled += n;
          off += n;
          if (filled < frameBytes) continue;
          yield { t: index / this.fps, frame: { width, height, data: frame } };
          index++;
          frame = Buffer.allocUnsafe(frameBytes);
          filled = 0;
        }
      }
      const code = await exited;
      if (!this.closed && code !== 0) {
        throw new VisionError('VISION_DECODE_FAILED', `ffmpeg exited with ${code} decoding ${this.input}: ${tail(this.stderr)}`);
      }
      if (!this.closed && index === 0) throw new VisionError('VISION_DECODE_FAILED', `no frames decoded from ${this.input}: ${tail(this.stderr)}`);
    } finally {
      this.close();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

function even(n: number): number {
  return Math.max(2, n - (n % 2));
}

function tail(s: string): string {
  return s.trim().split('\n').slice(-3).join(' | ');
}
