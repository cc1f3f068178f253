import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { PsMuxer, type PsAccessUnit } from '@gb/gb28181';
import type { FlvFanout } from './flv-fanout';

export interface RemuxOutputs {
  /** Directory for index.m3u8 and its segments (deleted on close). */
  hlsDir: string;
  /** Download: write one MP4 file here instead of HLS/FLV (kept on close). */
  mp4Path?: string;
  /** Receives ffmpeg's FLV output (stdout) for HTTP-FLV / WS-FLV viewers; H.264 only. */
  flv?: FlvFanout;
}

export interface RemuxerOptions {
  ffmpegPath: string;
  video: 'h264' | 'h265';
  audio?: 'g711a' | 'g711u' | 'aac';
  outputs: RemuxOutputs;
  /** HLS target segment length in seconds (segments cut at keyframes). */
  hlsTime?: number;
  hlsListSize?: number;
}

/** The stage that turns access units into browser formats. ffmpeg today; replaceable on the relay path later. */
export interface Remuxer {
  write(au: PsAccessUnit): void;
  close(): Promise<void>;
  readonly stderrTail: string;
  on(event: 'exit', listener: (code: number | null, signal: string | null) => void): this;
}

/** Most bytes queued to ffmpeg's stdin before we drop non-key video until it drains (a stalled ffmpeg must not grow memory). */
export const REMUX_MAX_QUEUED_BYTES = 8 * 1024 * 1024;

/**
 * One ffmpeg per stream, fed a clean MPEG-PS re-muxed from the demuxed access units (starting at a keyframe), told the
 * input format so it does not probe for seconds, copying video (no re-encode) into HLS and FLV; G.711 -> AAC.
 */
export class FfmpegRemuxer extends EventEmitter implements Remuxer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly muxer: PsMuxer;
  private stderr = '';
  private waitingForKeyframe = false;
  /** Frames that share a PES with an earlier one carry no PTS: continue from the last one by the observed frame interval. */
  private lastVideoPts: number | null = null;
  private videoPtsStep = 3600;
  private exited = false;
  private readonly exitPromise: Promise<void>;

  constructor(private readonly opts: RemuxerOptions) {
    super();
    if (!opts.outputs.mp4Path) mkdirSync(opts.outputs.hlsDir, { recursive: true });
    this.muxer = new PsMuxer({ video: opts.video, audio: opts.audio });
    this.child = spawn(opts.ffmpegPath, buildFfmpegArgs(opts), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin.on('error', () => undefined);
    const flv = opts.outputs.flv;
    if (flv && opts.video === 'h264') this.child.stdout.on('data', (d: Buffer) => flv.push(d));
    else this.child.stdout.resume();
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString('utf8')).slice(-4000);
    });
    this.exitPromise = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exited = true;
        this.emit('exit', code, signal);
        resolve();
      });
      this.child.on('error', (e) => {
        this.stderr += `\nspawn failed: ${e.message}`;
        this.exited = true;
        this.emit('exit', null, null);
        resolve();
      });
    });
  }

  get stderrTail(): string {
    return this.stderr;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  write(au: PsAccessUnit): void {
    if (this.exited) return;
    if (au.kind === 'video') {
      if (this.child.stdin.writableLength > REMUX_MAX_QUEUED_BYTES) this.waitingForKeyframe = true;
      if (this.waitingForKeyframe) {
        if (!au.keyframe || this.child.stdin.writableLength > REMUX_MAX_QUEUED_BYTES / 2) return;
        this.waitingForKeyframe = false;
      }
      let pts = au.pts;
      if (pts === undefined) pts = this.lastVideoPts === null ? 0 : this.lastVideoPts + this.videoPtsStep;
      else if (this.lastVideoPts !== null && pts > this.lastVideoPts && pts - this.lastVideoPts < 90_000) this.videoPtsStep = pts - this.lastVideoPts;
      this.lastVideoPts = pts;
      this.child.stdin.write(this.muxer.muxVideo(au.data, pts, au.keyframe));
    } else if (this.opts.audio && !this.waitingForKeyframe) {
      this.child.stdin.write(this.muxer.muxAudio(au.data, au.pts ?? 0));
    }
  }

  async close(): Promise<void> {
    if (!this.exited) {
      this.child.stdin.end();
      const t = setTimeout(() => this.child.kill('SIGKILL'), 2000);
      this.child.kill('SIGTERM');
      await this.exitPromise;
      clearTimeout(t);
    }
    if (!this.opts.outputs.mp4Path) rmSync(this.opts.outputs.hlsDir, { recursive: true, force: true });
  }
}

export function buildFfmpegArgs(o: RemuxerOptions): string[] {
  const args = [
    '-hide_banner', '-loglevel', 'warning', '-nostdin',
    // Tell ffmpeg what it reads instead of letting it probe (probing alone cost ~5 s to the first playlist).
    '-fflags', '+genpts+nobuffer+discardcorrupt', '-flags', 'low_delay',
    '-probesize', '32768', '-analyzeduration', '0',
    '-f', 'mpeg', '-i', 'pipe:0',
    '-map', '0:v:0',
  ];
  if (o.outputs.mp4Path) {
    const a = o.audio ? ['-map', '0:a:0?', ...(o.audio === 'aac' ? ['-c:a', 'copy'] : ['-c:a', 'aac', '-b:a', '48k', '-ar', '16000'])] : [];
    return [...args, '-c:v', 'copy', ...(o.video === 'h265' ? ['-tag:v', 'hvc1'] : []), ...a, '-movflags', '+faststart', '-f', 'mp4', '-y', o.outputs.mp4Path];
  }
  const audio = o.audio ? ['-map', '0:a:0?', ...(o.audio === 'aac' ? ['-c:a', 'copy'] : ['-c:a', 'aac', '-b:a', '48k', '-ar', '16000'])] : [];
  // HLS: mpegts segments for H.264, fMP4 for H.265 (browsers with HEVC play it only in fMP4).
  const hls = [
    ...(o.video === 'h265' ? ['-tag:v', 'hvc1'] : []),
    '-c:v', 'copy', ...audio,
    '-f', 'hls', '-hls_time', String(o.hlsTime ?? 1), '-hls_list_size', String(o.hlsListSize ?? 6),
    '-hls_flags', 'delete_segments+independent_segments+omit_endlist+temp_file',
    ...(o.video === 'h265' ? ['-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename', `${o.outputs.hlsDir}/seg_%05d.m4s`] : ['-hls_segment_filename', `${o.outputs.hlsDir}/seg_%05d.ts`]),
    `${o.outputs.hlsDir}/index.m3u8`,
  ];
  const flv = o.outputs.flv && o.video === 'h264' ? ['-map', '0:v:0', ...(o.audio ? ['-map', '0:a:0?', ...(o.audio === 'aac' ? ['-c:a', 'copy'] : ['-c:a', 'aac', '-b:a', '48k', '-ar', '16000'])] : []), '-c:v', 'copy', '-f', 'flv', '-flvflags', 'no_duration_filesize', 'pipe:1'] : [];
  return [...args, ...hls, ...flv];
}
