import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { AnnexBAuSplitter, TIMESTAMP_WRAP_90K, type SplitAccessUnit } from '@gb/gb28181';
import { ffmpegPath } from './ffmpeg-path';

export interface TestPatternOptions {
  width?: number;
  height?: number;
  fps?: number;
  /** Keyframe interval in frames. Default = fps (one per second). */
  gop?: number;
}

/** Largest access unit accepted from ffmpeg (bounded even though we launched it). */
export const MAX_TEST_PATTERN_AU_BYTES = 4 * 1024 * 1024;

/**
 * A live H.264 test pattern: ffmpeg encodes `testsrc` in real time (-re) to an Annex B stream on
 * stdout, cut into access units. Emits 'frame' (access unit, 90 kHz PTS, keyframe) and 'exit'.
 */
export class TestPatternSource extends EventEmitter<{ frame: [au: Buffer, pts90k: number, keyframe: boolean]; exit: [code: number | null]; error: [err: Error] }> {
  private proc?: ChildProcess;
  private frames = 0;

  constructor(private readonly opts: TestPatternOptions = {}) {
    super();
  }

  start(): void {
    if (this.proc) return;
    const fps = this.opts.fps ?? 25;
    const size = `${this.opts.width ?? 640}x${this.opts.height ?? 360}`;
    const args = [
      '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=${fps}`,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p',
      '-g', String(this.opts.gop ?? fps), '-bsf:v', 'h264_mp4toannexb', '-f', 'h264', '-',
    ];
    const proc = spawn(ffmpegPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    const splitter = new AnnexBAuSplitter('h264', MAX_TEST_PATTERN_AU_BYTES);
    const ptsStep = Math.round(90000 / fps);
    proc.stdout!.on('data', (chunk: Buffer) => {
      const out: SplitAccessUnit[] = [];
      try {
        splitter.push(chunk, undefined, undefined, out);
      } catch (e) {
        this.emit('error', e as Error);
        this.stop();
        return;
      }
      for (const au of out) this.emit('frame', au.data, (this.frames++ * ptsStep) % TIMESTAMP_WRAP_90K, au.keyframe);
    });
    proc.stderr!.on('data', () => undefined);
    proc.on('error', (e) => this.listenerCount('error') > 0 && this.emit('error', e));
    proc.on('exit', (code) => this.emit('exit', code));
  }

  /** Idempotent. */
  stop(): void {
    const p = this.proc;
    if (p && p.exitCode === null && !p.killed) p.kill('SIGKILL');
  }
}
