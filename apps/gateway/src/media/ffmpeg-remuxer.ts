import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { KeyframeGate, MediaTimeline, PsMuxer, type PsAccessUnit } from '@gb/gb28181';
import { HlsStore } from './hls-store';

export interface RemuxOutputs {
  /** Directory for index.m3u8 and its segments (deleted on close). */
  hlsDir: string;
  /** Download: write one MP4 file here instead of HLS (kept on close). */
  mp4Path?: string;
  /** Where the playlist is announced once ffmpeg wrote it (its owner closes it); default a store of the remuxer's own (`hls`). */
  store?: HlsStore;
}

export interface RemuxerOptions {
  ffmpegPath: string;
  video: 'h264' | 'h265';
  audio?: 'g711a' | 'g711u' | 'aac';
  outputs: RemuxOutputs;
  /** HLS target segment length in seconds (segments cut at keyframes). */
  hlsTime?: number;
  hlsListSize?: number;
  /** A successor of an ffmpeg that died (RestartingRemuxer): continue its playlist (numbering, segments) after a discontinuity. */
  continuePlaylist?: boolean;
  /**
   * An audio frame of `audio` (e.g. silent AAC in ADTS) put in front of the first video keyframe, so ffmpeg's short
   * probe (REMUX_PROBE_BYTES) finds the audio stream even when the keyframe alone is larger: a stream it does not find
   * there is never mapped.
   */
  leadAudio?: Buffer;
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

/** ffmpeg remuxer children of this process spawned and not yet exited (metrics: a process figure, like its RSS). */
let runningChildren = 0;
export function runningFfmpegRemuxers(): number {
  return runningChildren;
}

/** What ffmpeg reads to find the streams before it starts (bytes): a stream first seen later is not mapped (see leadAudio). */
export const REMUX_PROBE_BYTES = 32768;
/** Where the first video frame lands on the timeline fed to ffmpeg (90 kHz): 1 s, so audio slightly ahead stays positive. */
export const REMUX_ORIGIN_90K = 90_000;
/** How often the HLS directory is re-read in case a file-system event was missed (ms); events normally come first. */
export const REMUX_PLAYLIST_POLL_MS = 1000;

/**
 * One ffmpeg per stream, fed a clean MPEG-PS re-muxed from the demuxed access units (starting at a keyframe) on one
 * timeline (MediaTimeline: unwrapped, gaps filled, restarts bridged; audio placed on the video's timeline), told the
 * input format so it does not probe for seconds, copying video (no re-encode) into HLS; G.711 -> AAC. The playlist
 * ffmpeg writes is read asynchronously when the directory changes (fs.watch, plus a slow poll) and announced in the
 * HlsStore; segments stay on disk. Nothing here blocks the event loop on the file system.
 */
export class FfmpegRemuxer extends EventEmitter implements Remuxer {
  readonly hls: HlsStore;
  private child: ChildProcessWithoutNullStreams | null = null;
  private readonly muxer: PsMuxer;
  private readonly timeline = new MediaTimeline({ origin90k: REMUX_ORIGIN_90K });
  private readonly gate = new KeyframeGate();
  /** The lead audio frame is still to go out, in front of the first keyframe. */
  private leadPending = true;
  /** Time of the last audio frame sent (90 kHz, ffmpeg's timeline). */
  private lastAudioAt = -Infinity;
  /** PS written before ffmpeg started (the HLS directory is created first). */
  private early: Buffer[] = [];
  private earlyBytes = 0;
  private stderr = '';
  private exited = false;
  private closing = false;
  private watcher: FSWatcher | null = null;
  private poll: NodeJS.Timeout | null = null;
  private reading = false;
  private rereadWanted = false;
  private resolveExit!: () => void;
  private readonly exitPromise = new Promise<void>((r) => (this.resolveExit = r));
  private readonly started: Promise<void>;

  constructor(private readonly opts: RemuxerOptions) {
    super();
    this.hls = opts.outputs.store ?? new HlsStore();
    this.muxer = new PsMuxer({ video: opts.video, audio: opts.audio });
    const dir = opts.outputs.mp4Path ? Promise.resolve() : mkdir(opts.outputs.hlsDir, { recursive: true }).then(() => undefined);
    this.started = dir.then(
      () => this.start(),
      (e: Error) => this.end(null, null, `cannot create ${opts.outputs.hlsDir}: ${e.message}`),
    );
  }

  get stderrTail(): string {
    return this.stderr;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  write(au: PsAccessUnit): void {
    if (this.exited || this.closing) return;
    if (au.kind === 'video') {
      const t = this.timeline.stamp(au.pts, au.dts);
      const queued = this.queuedBytes();
      if (queued > REMUX_MAX_QUEUED_BYTES) this.gate.shut();
      if (!this.gate.admit(au.keyframe, queued <= REMUX_MAX_QUEUED_BYTES / 2)) return;
      const lead = this.leadPending ? this.opts.leadAudio : undefined;
      this.leadPending = false;
      if (lead) this.lastAudioAt = t.pts;
      this.send(this.muxer.muxVideo(au.data, t.pts, au.keyframe, lead));
    } else if (this.opts.audio && !this.gate.waiting && au.pts !== undefined) {
      const at = this.timeline.place(au.pts);
      // never back in time on the audio stream (ffmpeg's copy refuses non-monotonic timestamps)
      if (at === null || at < 0 || at <= this.lastAudioAt) return;
      this.lastAudioAt = at;
      this.send(this.muxer.muxAudio(au.data, at));
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.started;
    this.stopWatching();
    if (!this.exited && this.child) {
      const child = this.child;
      child.stdin.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.kill('SIGTERM');
      await this.exitPromise;
      clearTimeout(t);
    }
    if (!this.opts.outputs.store) this.hls.close();
    if (!this.opts.outputs.mp4Path) await rm(this.opts.outputs.hlsDir, { recursive: true, force: true });
  }

  private start(): void {
    if (this.closing) {
      this.end(null, null);
      return;
    }
    const child = spawn(this.opts.ffmpegPath, buildFfmpegArgs(this.opts), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    runningChildren++;
    child.stdin.on('error', () => undefined);
    child.stdout.resume();
    child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString('utf8')).slice(-4000);
    });
    child.on('exit', (code, signal) => this.end(code, signal));
    child.on('error', (e) => this.end(null, null, `spawn failed: ${e.message}`));
    for (const b of this.early) child.stdin.write(b);
    this.early = [];
    this.earlyBytes = 0;
    if (!this.opts.outputs.mp4Path) this.watchPlaylist();
  }

  private end(code: number | null, signal: NodeJS.Signals | null, why?: string): void {
    if (why) this.stderr += `\n${why}`;
    if (this.exited) return;
    this.exited = true;
    if (this.child) runningChildren--;
    this.stopWatching();
    this.emit('exit', code, signal);
    this.resolveExit();
  }

  private queuedBytes(): number {
    return this.child ? this.child.stdin.writableLength : this.earlyBytes;
  }

  private send(b: Buffer): void {
    if (this.child) this.child.stdin.write(b);
    else {
      this.early.push(b);
      this.earlyBytes += b.length;
    }
  }

  /** ffmpeg replaces index.m3u8 by rename when a segment is finished: read it then (and every REMUX_PLAYLIST_POLL_MS). */
  private watchPlaylist(): void {
    try {
      this.watcher = watch(this.opts.outputs.hlsDir, (_event, name) => {
        if (name === null || String(name).startsWith('index.m3u8')) this.readPlaylist();
      });
      this.watcher.on('error', () => undefined);
    } catch {
      // no watcher on this file system: the poll below still finds the playlist
    }
    this.poll = setInterval(() => this.readPlaylist(), REMUX_PLAYLIST_POLL_MS);
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
  }

  /** One read at a time; a change seen meanwhile reads again after it. Announces a whole playlist that changed. */
  private readPlaylist(): void {
    if (this.reading) {
      this.rereadWanted = true;
      return;
    }
    this.reading = true;
    void readFile(join(this.opts.outputs.hlsDir, 'index.m3u8'), 'utf8')
      .then(
        (text) => {
          if (!this.exited && text !== this.hls.playlist && text.startsWith('#EXTM3U') && text.endsWith('\n') && text.includes('#EXTINF')) this.hls.announcePlaylist(text);
        },
        () => undefined, // not written yet, or being replaced
      )
      .finally(() => {
        this.reading = false;
        if (this.rereadWanted && !this.exited) {
          this.rereadWanted = false;
          this.readPlaylist();
        }
      });
  }
}

export function buildFfmpegArgs(o: RemuxerOptions): string[] {
  const args = [
    '-hide_banner', '-loglevel', 'warning', '-nostdin',
    // Tell ffmpeg what it reads instead of letting it probe (probing alone cost ~5 s to the first playlist).
    '-fflags', '+genpts+nobuffer+discardcorrupt', '-flags', 'low_delay',
    '-probesize', String(REMUX_PROBE_BYTES), '-analyzeduration', '0',
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
    '-hls_flags', `delete_segments+independent_segments+omit_endlist+temp_file${o.continuePlaylist ? '+append_list+discont_start' : ''}`,
    ...(o.video === 'h265' ? ['-hls_segment_type', 'fmp4', '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename', `${o.outputs.hlsDir}/seg_%05d.m4s`] : ['-hls_segment_filename', `${o.outputs.hlsDir}/seg_%05d.ts`]),
    `${o.outputs.hlsDir}/index.m3u8`,
  ];
  return [...args, ...hls];
}
