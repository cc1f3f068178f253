import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { findFfmpeg } from '@gb/runtime';
import type { RgbFrame } from '../frames/rgb-frame';
import { VisionError } from '../vision-error';
import { PpmStreamParser } from './ppm-stream.parser';

/** Widest frame handed to the detector (the model input is 416²; 640 keeps tiles useful). */
export const LIVE_MAX_WIDTH = 640;
/** Bytes of ffmpeg's stderr kept for the status error. */
const STDERR_KEEP = 4096;

/** What a channel reads frames from: the gateway's FLV/HLS URL live, a file in tests, a fake in unit tests. */
export interface LiveFrameSource {
  /** Calls `onFrame` with each decoded frame; resolves when the source ends, rejects with a VisionError when it fails. */
  run(onFrame: (frame: RgbFrame) => void): Promise<void>;
  /** Stops reading; `run()` then resolves. Safe twice. */
  close(): void;
}

export type LiveFrameSourceFactory = (url: string, fps: number) => LiveFrameSource;

/**
 * ffmpeg decoding `url` at `fps` frames per second, scaled to at most LIVE_MAX_WIDTH, written as PPM
 * images on stdout (each carries its size: no blocking probe, size changes are fine). Local files are
 * read at their native rate (-re) so a clip behaves like a camera. Holding the HTTP-FLV connection
 * open is what keeps the gateway's stream alive while the channel is watched.
 */
export class FfmpegLiveFrameSource implements LiveFrameSource {
  private child: ChildProcessByStdio<null, Readable, Readable> | null = null;
  private closed = false;
  private readonly ffmpeg: string;

  constructor(
    private readonly url: string,
    private readonly fps: number,
    ffmpegPath?: string,
  ) {
    const bin = ffmpegPath ?? findFfmpeg();
    if (!bin) throw new VisionError('VISION_DECODER_MISSING', 'ffmpeg not found: install ffmpeg, set FFMPEG_PATH, or npm i @ffmpeg-installer/ffmpeg');
    this.ffmpeg = bin;
  }

  run(onFrame: (frame: RgbFrame) => void): Promise<void> {
    const network = /^[a-z][a-z0-9+.-]*:\/\//i.test(this.url);
    const args = [
      '-hide_banner', '-nostdin', '-loglevel', 'error',
      ...(network ? ['-rw_timeout', '10000000'] : ['-re']),
      '-i', this.url, '-an', '-sn',
      '-vf', `fps=${this.fps},scale='min(${LIVE_MAX_WIDTH},iw)':-2:flags=bilinear`,
      '-c:v', 'ppm', '-f', 'image2pipe', 'pipe:1',
    ];
    return new Promise<void>((resolve, reject) => {
      if (this.closed) return resolve();
      const child = spawn(this.ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      this.child = child;
      const parser = new PpmStreamParser();
      let stderr = '';
      let frames = 0;
      let failure: unknown = null;
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (s: string) => (stderr = (stderr + s).slice(-STDERR_KEEP)));
      child.stdout.on('data', (chunk: Buffer) => {
        if (failure) return;
        try {
          for (const f of parser.push(chunk)) {
            frames++;
            onFrame(f);
          }
        } catch (e) {
          failure = e;
          this.kill();
        }
      });
      child.on('error', (e) => (failure ??= new VisionError('VISION_DECODE_FAILED', `cannot run ffmpeg: ${e.message}`, { cause: e })));
      child.on('close', (code) => {
        this.child = null;
        if (this.closed) return resolve();
        if (failure) return reject(failure);
        if (code !== 0) return reject(new VisionError('VISION_DECODE_FAILED', `ffmpeg exited with ${code} reading ${redact(this.url)}: ${tail(stderr)}`));
        if (frames === 0) return reject(new VisionError('VISION_DECODE_FAILED', `no frames decoded from ${redact(this.url)}: ${tail(stderr)}`));
        resolve();
      });
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.kill();
  }

  private kill(): void {
    const c = this.child;
    if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}

export const ffmpegLiveFrameSource: LiveFrameSourceFactory = (url, fps) => new FfmpegLiveFrameSource(url, fps);

/** The URL without its token (status errors are shown to operators and logged). */
export function redact(url: string): string {
  return url.replace(/([?&]token=)[^&]*/g, '$1***');
}

function tail(s: string): string {
  return s.trim().split('\n').slice(-3).join(' | ') || '(no ffmpeg output)';
}
