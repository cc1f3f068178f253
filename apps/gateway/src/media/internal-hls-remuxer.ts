import { EventEmitter } from 'node:events';
import { mkdirSync, rmSync } from 'node:fs';
import { open, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { HlsSegmenter, TsMuxer, hlsSegmentUri, type HlsSegment, type PsAccessUnit } from '@gb/gb28181';
import type { Remuxer } from './ffmpeg-remuxer';

export interface InternalHlsRemuxerOptions {
  /** Directory for index.m3u8 and seg_%05d.ts (created now, deleted on close). */
  hlsDir: string;
  /** Target segment length in seconds (cut at the first keyframe after it). */
  hlsTime?: number;
  /** Segments kept in the playlist (older files are deleted). */
  hlsListSize?: number;
}

/** Muxed bytes gathered in memory before they are appended to the segment's temp file (few writes, bounded memory). */
export const INTERNAL_HLS_FLUSH_BYTES = 256 * 1024;
/** Bytes handed to the file system and not yet written: above this (a stalled disk) frames are dropped to the next keyframe. */
export const INTERNAL_HLS_MAX_QUEUED_BYTES = 8 * 1024 * 1024;

/**
 * H.264 live HLS without ffmpeg: access units -> MPEG-TS (TsMuxer) -> segments cut at keyframes (HlsSegmenter) -> files
 * laid out as ffmpeg's hls muxer does (`index.m3u8`, `seg_%05d.ts`, old segments deleted). A segment is written to
 * `seg_N.ts.tmp` and renamed when finished, then the playlist is replaced by rename, so a reader never sees half a file
 * and never a playlist naming a segment not yet there. File operations run one after another on a promise chain.
 * Audio is not muxed: the session picks this remuxer only for streams without audio.
 */
export class InternalHlsRemuxer extends EventEmitter implements Remuxer {
  private readonly muxer = new TsMuxer();
  private readonly segmenter: HlsSegmenter;
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  /** The open temp file of the current segment (opened by its first write, closed when the segment is finished). */
  private file: { sequence: number; handle: FileHandle } | null = null;
  private queue: Promise<void> = Promise.resolve();
  private queuedBytes = 0;
  private waitingForKeyframe = false;
  private lastVideoPts: number | null = null;
  private videoPtsStep = 3600;
  private log = '';
  private failed = false;
  private closed = false;

  constructor(private readonly opts: InternalHlsRemuxerOptions) {
    super();
    mkdirSync(opts.hlsDir, { recursive: true });
    this.segmenter = new HlsSegmenter({ targetDurationS: opts.hlsTime ?? 1, windowSize: opts.hlsListSize ?? 6 });
  }

  /** Errors met while muxing or writing (the Remuxer contract's diagnostic text). */
  get stderrTail(): string {
    return this.log;
  }

  write(au: PsAccessUnit): void {
    if (this.closed || this.failed || au.kind !== 'video' || au.codec !== 'h264') return;
    let pts = au.pts;
    if (pts === undefined) pts = this.lastVideoPts === null ? 0 : this.lastVideoPts + this.videoPtsStep;
    else if (this.lastVideoPts !== null && pts > this.lastVideoPts && pts - this.lastVideoPts < 90_000) this.videoPtsStep = pts - this.lastVideoPts;
    this.lastVideoPts = pts;
    if (this.queuedBytes > INTERNAL_HLS_MAX_QUEUED_BYTES) this.waitingForKeyframe = true;
    if (this.waitingForKeyframe) {
      if (!au.keyframe || this.queuedBytes > INTERNAL_HLS_MAX_QUEUED_BYTES / 2) return;
      this.waitingForKeyframe = false;
    }
    try {
      const step = this.segmenter.push(pts, au.keyframe);
      if (!step.accept) return;
      if (step.closed) this.finishSegment(step.closed, step.evicted);
      if (step.opened !== null) this.append(this.muxer.tables());
      this.append(this.muxer.muxVideo(au.data, pts, au.dts ?? pts, au.keyframe));
    } catch (e) {
      this.note(`dropped a frame: ${(e as Error).message}`);
    }
  }

  /** Resolves when every file operation queued so far has finished. */
  idle(): Promise<void> {
    return this.queue;
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.chunks = [];
      await this.queue;
      await this.file?.handle.close().catch(() => undefined);
      this.file = null;
    }
    rmSync(this.opts.hlsDir, { recursive: true, force: true });
  }

  private path(file: string): string {
    return join(this.opts.hlsDir, file);
  }

  private append(b: Buffer): void {
    this.chunks.push(b);
    this.chunkBytes += b.length;
    if (this.chunkBytes >= INTERNAL_HLS_FLUSH_BYTES) {
      const seq = this.segmenter.currentSequence!;
      this.enqueue(this.takeChunks(), (data) => this.writeTemp(seq, data));
    }
  }

  /** The rest of the segment's bytes, then rename it into place, then the playlist, then delete what left the window. */
  private finishSegment(seg: HlsSegment, evicted: HlsSegment[]): void {
    const playlist = this.segmenter.playlist()!;
    this.enqueue(this.takeChunks(), async (data) => {
      await this.writeTemp(seg.sequence, data);
      const f = this.file!;
      this.file = null;
      await f.handle.close();
      await rename(this.path(`${seg.uri}.tmp`), this.path(seg.uri));
      await writeFile(this.path('index.m3u8.tmp'), playlist);
      await rename(this.path('index.m3u8.tmp'), this.path('index.m3u8'));
      for (const s of evicted) await unlink(this.path(s.uri)).catch(() => undefined);
    });
  }

  /** Writes the gathered chunks with one writev on the segment's open temp file (no concatenated copy). */
  private async writeTemp(sequence: number, data: Buffer[]): Promise<void> {
    if (this.file && this.file.sequence !== sequence) {
      await this.file.handle.close().catch(() => undefined);
      this.file = null;
    }
    this.file ??= { sequence, handle: await open(this.path(`${hlsSegmentUri(sequence)}.tmp`), 'w') };
    if (data.length > 0) await this.file.handle.writev(data);
  }

  private takeChunks(): { data: Buffer[]; bytes: number } {
    const taken = { data: this.chunks, bytes: this.chunkBytes };
    this.chunks = [];
    this.chunkBytes = 0;
    return taken;
  }

  private enqueue({ data, bytes }: { data: Buffer[]; bytes: number }, op: (data: Buffer[]) => Promise<void>): void {
    this.queuedBytes += bytes;
    this.queue = this.queue.then(async () => {
      try {
        if (!this.closed && !this.failed) await op(data);
      } catch (e) {
        if (!this.closed) this.fail(e as Error);
      } finally {
        this.queuedBytes -= bytes;
      }
    });
  }

  private fail(e: Error): void {
    this.failed = true;
    this.note(`HLS write failed: ${e.message}`);
    this.emit('exit', 1, null);
  }

  private note(line: string): void {
    this.log = (this.log + line + '\n').slice(-4000);
  }
}
