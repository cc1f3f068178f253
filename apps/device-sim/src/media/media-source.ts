import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { AAC_SAMPLES_PER_FRAME, AdtsFramer, AnnexBAuSplitter, type SplitAccessUnit } from '@gb/gb28181';
import { ffmpegPath } from './ffmpeg-path';

export type SimVideoCodec = 'h264' | 'h265';
export type SimAudioCodec = 'g711a' | 'g711u' | 'aac';
export const SIM_AUDIO_CODECS: readonly SimAudioCodec[] = ['g711a', 'g711u', 'aac'];
/** The simulator's AAC: LC, 8 kHz mono in ADTS (a camera's usual setting; not the gateway's own 16 kHz, so it is transcoded). */
export const SIM_AAC_SAMPLE_RATE = 8000;

export interface MediaSourceOptions {
  /** Video codec the camera sends. Default h264. */
  codec?: SimVideoCodec;
  /** Add audio: a 440 Hz tone as G.711 A-law or µ-law (8 kHz) or AAC-LC (ADTS, 8 kHz). Default none. */
  audio?: SimAudioCodec;
  /** Audio starts this many seconds after the video (the PSM declares it from the start, as a camera does). Default 0. */
  audioDelayS?: number;
  /** A media file to decode and re-encode instead of the test pattern. */
  file?: string;
  /** Pattern size, or the size a file is scaled to (a file keeps its own size when unset). Default 640x360 for the pattern. */
  width?: number;
  height?: number;
  /** Frames per second (a file is resampled to it). Default 25. */
  fps?: number;
  /** Keyframe interval, frames. Default = fps (one per second). */
  gop?: number;
  /** Loop the file forever (live). Default true. */
  loop?: boolean;
  /** Start this many seconds into the media (a file seeks; the pattern only shifts the overlay). */
  offsetS?: number;
  /** Stop after this many seconds of media. Default: endless. */
  durationS?: number;
  /** Unix seconds at media time 0: draws the recorded wall-clock time on each frame (playback). */
  overlayEpochS?: number;
}

export interface MediaUnit {
  kind: 'video' | 'audio';
  data: Buffer;
  /** 90 kHz, from 0 at this source's first frame. */
  pts90k: number;
  keyframe: boolean;
}

/** Largest access unit accepted from ffmpeg (bounded even though we launched it). */
export const MAX_SOURCE_AU_BYTES = 4 * 1024 * 1024;
/** G.711 frame: 20 ms at 8 kHz, one byte per sample. */
export const G711_FRAME_BYTES = 160;
const FONT_CANDIDATES = ['/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'];

/**
 * An ffmpeg child that encodes the test pattern (or a file) to H.264/H.265 Annex B on stdout and,
 * optionally, G.711 A-law on fd 3, as fast as it is read: the reader paces it (MediaPacer) and
 * applies backpressure with pause()/resume(). Emits 'unit' per access unit / 20 ms audio frame,
 * 'end' when the media ran out, 'error'.
 */
export class MediaSource extends EventEmitter<{ unit: [MediaUnit]; end: []; error: [Error] }> {
  private proc?: ChildProcess;
  private frames = 0;
  private audioSamples = 0;
  private audioCarry = Buffer.alloc(0);
  private readonly adts = new AdtsFramer();
  private stopped = false;
  private stderrTail = '';

  constructor(readonly opts: MediaSourceOptions = {}) {
    super();
  }

  get codec(): SimVideoCodec {
    return this.opts.codec ?? 'h264';
  }

  start(): void {
    if (this.proc || this.stopped) return;
    const o = this.opts;
    if (o.file && !existsSync(o.file)) {
      queueMicrotask(() => this.emit('error', new Error(`media file not found: ${o.file}`)));
      return;
    }
    const proc = spawn(ffmpegPath(), ffmpegArgs(o), { stdio: ['ignore', 'pipe', 'pipe', ...(o.audio ? ['pipe' as const] : [])] });
    this.proc = proc;
    const splitter = new AnnexBAuSplitter(this.codec, MAX_SOURCE_AU_BYTES);
    const fps = o.fps ?? 25;
    proc.stdout!.on('data', (chunk: Buffer) => {
      const out: SplitAccessUnit[] = [];
      try {
        splitter.push(chunk, undefined, undefined, out);
      } catch (e) {
        this.fail(e as Error);
        return;
      }
      for (const au of out) this.emit('unit', { kind: 'video', data: au.data, pts90k: Math.round((this.frames++ * 90000) / fps), keyframe: au.keyframe });
    });
    const audio = proc.stdio[3] as Readable | undefined;
    audio?.on('data', (chunk: Buffer) => this.onAudio(chunk));
    audio?.on('error', () => undefined);
    proc.stderr!.on('data', (d: Buffer) => (this.stderrTail = (this.stderrTail + d.toString()).slice(-2000)));
    proc.on('error', (e) => this.fail(e));
    proc.on('exit', (code) => {
      if (this.stopped) return;
      // the last access unit is only complete once the stream ends
      const out: SplitAccessUnit[] = [];
      try {
        splitter.endOfUnit(out);
      } catch {
        // ignore a truncated tail
      }
      for (const au of out) this.emit('unit', { kind: 'video', data: au.data, pts90k: Math.round((this.frames++ * 90000) / fps), keyframe: au.keyframe });
      if (code === 0) this.emit('end');
      else this.fail(new Error(`ffmpeg exited with ${code}: ${this.stderrTail.trim().split('\n').slice(-3).join(' | ')}`));
    });
  }

  private onAudio(chunk: Buffer): void {
    const delay90k = (this.opts.audioDelayS ?? 0) * 90_000;
    const out = (data: Buffer, rate: number, samples: number) => {
      const pts90k = Math.round((this.audioSamples * 90000) / rate);
      this.audioSamples += samples;
      if (pts90k >= delay90k) this.emit('unit', { kind: 'audio', data, pts90k, keyframe: false });
    };
    if (this.opts.audio === 'aac') {
      for (const f of this.adts.push(chunk)) out(f.frame, SIM_AAC_SAMPLE_RATE, AAC_SAMPLES_PER_FRAME);
      return;
    }
    let buf = this.audioCarry.length ? Buffer.concat([this.audioCarry, chunk]) : chunk;
    while (buf.length >= G711_FRAME_BYTES) {
      const frame = Buffer.from(buf.subarray(0, G711_FRAME_BYTES));
      buf = buf.subarray(G711_FRAME_BYTES);
      out(frame, 8000, G711_FRAME_BYTES);
    }
    this.audioCarry = Buffer.from(buf);
  }

  /**
   * Backpressure: stop reading ffmpeg's video pipe (ffmpeg blocks on it, audio included). The audio pipe is always read:
   * paused with the video, its few KB/s arrived only in the short gaps between a resume and the next pause, seconds
   * late and in bursts (the gateway then saw audio stop and restart).
   */
  pause(): void {
    this.proc?.stdout?.pause();
  }

  resume(): void {
    this.proc?.stdout?.resume();
  }

  private fail(e: Error): void {
    if (this.stopped) return;
    this.stop();
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }

  /** Idempotent: kills ffmpeg. */
  stop(): void {
    this.stopped = true;
    const p = this.proc;
    if (p && p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  }
}

/** The ffmpeg command line for a source (exported for tests and logs). */
export function ffmpegArgs(o: MediaSourceOptions): string[] {
  const fps = o.fps ?? 25;
  const gop = o.gop ?? fps;
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin'];
  const filters: string[] = [];
  if (o.file) {
    if (o.loop ?? true) args.push('-stream_loop', '-1');
    if (o.offsetS) args.push('-ss', String(o.offsetS));
    args.push('-i', o.file);
    filters.push(`fps=${fps}`);
    if (o.width && o.height) filters.push(`scale=${o.width}:${o.height}`);
  } else {
    args.push('-f', 'lavfi', '-i', `testsrc=size=${o.width ?? 640}x${o.height ?? 360}:rate=${fps}`);
  }
  if (o.audio) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=8000');
  const font = FONT_CANDIDATES.find((f) => existsSync(f));
  if (o.overlayEpochS !== undefined && font) {
    const epoch = Math.floor(o.overlayEpochS + (o.offsetS ?? 0));
    filters.push(`drawtext=fontfile=${font}:text='%{pts\\:localtime\\:${epoch}}':x=10:y=10:fontsize=24:fontcolor=white:box=1:boxcolor=black@0.6`);
  }
  filters.push('format=yuv420p');
  const t = o.durationS !== undefined ? ['-t', String(o.durationS)] : [];
  args.push('-map', '0:v:0', ...t, '-vf', filters.join(','));
  if ((o.codec ?? 'h264') === 'h265') {
    args.push('-c:v', 'libx265', '-preset', 'ultrafast', '-tune', 'zerolatency',
      '-x265-params', `keyint=${gop}:min-keyint=${gop}:scenecut=0:repeat-headers=1:bframes=0:pools=1:frame-threads=1:log-level=error`, '-f', 'hevc', 'pipe:1');
  } else {
    args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-threads', '1',
      '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', '-bsf:v', 'h264_mp4toannexb', '-f', 'h264', 'pipe:1');
  }
  if (o.audio) {
    const enc = o.audio === 'aac' ? ['-c:a', 'aac', '-b:a', '24k', '-f', 'adts'] : o.audio === 'g711u' ? ['-c:a', 'pcm_mulaw', '-f', 'mulaw'] : ['-c:a', 'pcm_alaw', '-f', 'alaw'];
    // flushed per packet: the pacer merges audio and video by time, so audio must not wait in ffmpeg's 32 KiB output buffer
    args.push('-map', '1:a:0', ...t, '-ar', '8000', '-ac', '1', ...enc, '-flush_packets', '1', 'pipe:3');
  }
  return args;
}
