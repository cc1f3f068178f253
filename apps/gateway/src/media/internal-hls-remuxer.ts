import { EventEmitter } from 'node:events';
import { close as closeFd, open as openFd, writev as writevFd } from 'node:fs';
import { mkdir, open, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { HlsSegmenter, KeyframeGate, MediaTimeline, TsMuxer, hlsSegmentUri, type HlsSegment, type PsAccessUnit } from '@gb/gb28181';
import type { Remuxer } from './ffmpeg-remuxer';
import { HLS_MEMORY_BUDGET_BYTES, HlsStore } from './hls-store';

export interface InternalHlsRemuxerOptions {
  /** Directory for index.m3u8 and seg_%05d.ts (created now, deleted on close). */
  hlsDir: string;
  /** Target segment length in seconds (cut at the first keyframe after it). */
  hlsTime?: number;
  /** Segments kept in the playlist (older files are deleted). */
  hlsListSize?: number;
  /** Where the playlist is announced and the newest segments are kept (its owner closes it); default a store of its own (`hls`). */
  store?: HlsStore;
  /** Carry an AAC stream: audio units of codec 'aac' (ADTS frames, on the camera's clock like the video) go into the segments. */
  audio?: boolean;
}

/** Where the first frame lands on the segments' timeline (90 kHz): 1 s, leaving room for the PCR below it. */
export const INTERNAL_HLS_ORIGIN_90K = 90_000;

/**
 * Muxed bytes of a segment gathered in memory: a segment that stays below this is written whole when finished (one
 * writeFile); past it, what was gathered is appended to the segment's temp file (few writes, bounded memory). Above a
 * 2 Mb/s 1 s segment (~260 KB with the TS overhead), so such a stream takes the one-write path.
 */
export const INTERNAL_HLS_FLUSH_BYTES = 512 * 1024;
/** Bytes handed to the file system and not yet written: above this (a stalled disk) frames are dropped to the next keyframe. */
export const INTERNAL_HLS_MAX_QUEUED_BYTES = 8 * 1024 * 1024;
/**
 * ADTS frames gathered into one audio PES (each PES starts a 188-byte TS packet: one frame per PES would cost ~23 kb/s
 * of padding for a 16 kHz track of silence, four ~6 kb/s). Also flushed when a segment is cut.
 */
export const INTERNAL_HLS_AUDIO_FRAMES_PER_PES = 4;

/**
 * H.264 live HLS without ffmpeg: access units -> one timeline (MediaTimeline: unwrapped, gaps filled, restarts bridged,
 * from INTERNAL_HLS_ORIGIN_90K) -> MPEG-TS (TsMuxer) -> segments cut at keyframes (HlsSegmenter) -> `seg_%05d.ts` files
 * (old ones deleted) and an HlsStore. A segment that stays below INTERNAL_HLS_FLUSH_BYTES is written whole, once finished,
 * with one writeFile; a bigger one is appended to `seg_N.ts.tmp` as it grows and renamed when finished. Then it is kept
 * in the store (newest first, within its memory budget) and the playlist is announced there, so a reader never sees half
 * a segment and never a playlist naming a segment not yet readable. No playlist file: the store is the one copy.
 * File operations are asynchronous and run one after another on a promise chain.
 * With `audio`, AAC (ADTS) units are placed on the video's timeline and muxed on the audio PID, a few frames per PES.
 */
export class InternalHlsRemuxer extends EventEmitter implements Remuxer {
  readonly hls: HlsStore;
  private readonly muxer: TsMuxer;
  private readonly segmenter: HlsSegmenter;
  /** ADTS frames not yet muxed, and the output time of the first of them. */
  private audioFrames: Buffer[] = [];
  private audioPts = 0;
  private readonly timeline = new MediaTimeline({ origin90k: INTERNAL_HLS_ORIGIN_90K });
  /** Drops to the next keyframe when the disk falls behind (and before the first keyframe). */
  private readonly gate = new KeyframeGate();
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  /** The current segment's bytes, kept for the store while they fit its budget (null once they do not). */
  private segmentParts: Buffer[] | null = null;
  private segmentBytes = 0;
  /** Part of the current segment was appended to its temp file already (it passed INTERNAL_HLS_FLUSH_BYTES). */
  private partial = false;
  /** The open temp file of the current segment (opened by its first write, closed when the segment is finished). */
  private file: { sequence: number; handle: FileHandle } | null = null;
  private queue: Promise<void>;
  private queuedBytes = 0;
  private log = '';
  private failed = false;
  private closed = false;

  constructor(private readonly opts: InternalHlsRemuxerOptions) {
    super();
    this.hls = opts.store ?? new HlsStore();
    this.muxer = new TsMuxer(opts.audio ? { audio: 'aac' } : {});
    this.segmenter = new HlsSegmenter({ targetDurationS: opts.hlsTime ?? 1, windowSize: opts.hlsListSize ?? 6 });
    this.queue = mkdir(opts.hlsDir, { recursive: true }).then(
      () => undefined,
      (e: Error) => this.fail(e),
    );
  }

  /** Errors met while muxing or writing (the Remuxer contract's diagnostic text). */
  get stderrTail(): string {
    return this.log;
  }

  write(au: PsAccessUnit): void {
    if (this.closed || this.failed) return;
    if (au.kind === 'audio') return this.writeAudio(au);
    if (au.kind !== 'video' || au.codec !== 'h264') return;
    try {
      // Every frame moves the timeline (the frame interval is measured on all of them), even one dropped below.
      const t = this.timeline.stamp(au.pts, au.dts);
      if (this.queuedBytes > INTERNAL_HLS_MAX_QUEUED_BYTES) this.gate.shut();
      if (!this.gate.admit(au.keyframe, this.queuedBytes <= INTERNAL_HLS_MAX_QUEUED_BYTES / 2)) return;
      const step = this.segmenter.push(t.pts, au.keyframe);
      if (!step.accept) return;
      if (step.closed) {
        this.flushAudio(); // the audio gathered so far belongs to the segment being finished
        this.finishSegment(step.closed, step.evicted);
      }
      if (step.opened !== null) {
        this.segmentParts = [];
        this.segmentBytes = 0;
        this.append(this.muxer.tables());
      }
      this.append(this.muxer.muxVideo(au.data, t.pts, t.dts, au.keyframe));
    } catch (e) {
      this.note(`dropped a frame: ${(e as Error).message}`);
    }
  }

  /** An AAC frame: placed on the video's timeline (dropped before the first segment or when not placeable), gathered into a PES. */
  private writeAudio(au: PsAccessUnit): void {
    if (!this.opts.audio || au.codec !== 'aac' || au.pts === undefined || this.segmenter.currentSequence === null || this.gate.waiting) return;
    const at = this.timeline.place(au.pts);
    if (at === null || at < 0) return;
    if (this.audioFrames.length === 0) this.audioPts = at;
    this.audioFrames.push(au.data);
    if (this.audioFrames.length >= INTERNAL_HLS_AUDIO_FRAMES_PER_PES) this.flushAudio();
  }

  private flushAudio(): void {
    if (this.audioFrames.length === 0) return;
    const frames = this.audioFrames;
    this.audioFrames = [];
    try {
      this.append(this.muxer.muxAudio(Buffer.concat(frames), this.audioPts));
    } catch (e) {
      this.note(`dropped audio: ${(e as Error).message}`);
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
      if (!this.opts.store) this.hls.close();
    }
    await rm(this.opts.hlsDir, { recursive: true, force: true });
  }

  private path(file: string): string {
    return join(this.opts.hlsDir, file);
  }

  private append(b: Buffer): void {
    this.chunks.push(b);
    this.chunkBytes += b.length;
    if (this.segmentParts) {
      this.segmentBytes += b.length;
      if (this.segmentBytes <= HLS_MEMORY_BUDGET_BYTES) this.segmentParts.push(b);
      else this.segmentParts = null; // too big to keep: players read this one from disk
    }
    if (this.chunkBytes >= INTERNAL_HLS_FLUSH_BYTES) {
      this.partial = true;
      const seq = this.segmenter.currentSequence!;
      this.enqueue(this.takeChunks(), (data) => this.writeTemp(seq, data));
    }
  }

  /**
   * The rest of the segment's bytes, then rename it into place, keep it in the store, announce the playlist, then delete
   * what left the window.
   */
  private finishSegment(seg: HlsSegment, evicted: HlsSegment[]): void {
    const playlist = this.segmenter.playlist()!;
    const parts = this.segmentParts;
    this.segmentParts = null;
    const partial = this.partial;
    this.partial = false;
    if (!partial) {
      // The whole segment is still in memory (the common case, below INTERNAL_HLS_FLUSH_BYTES): its pieces are written
      // under the final name with one writev, no joined copy (open, writev, close: 3 file-system requests, no temp file,
      // rename or FileHandle), and the store keeps the same pieces. The playlist naming it is announced once it is written.
      this.enqueue(this.takeChunks(), async (data) => {
        await writeWhole(this.path(seg.uri), data);
        if (parts) this.hls.putSegment(seg.uri, data);
        await this.announce(playlist, evicted);
      });
      return;
    }
    this.enqueue(this.takeChunks(), async (data) => {
      await this.writeTemp(seg.sequence, data);
      const f = this.file!;
      this.file = null;
      await f.handle.close();
      await rename(this.path(`${seg.uri}.tmp`), this.path(seg.uri));
      if (parts) this.hls.putSegment(seg.uri, parts);
      await this.announce(playlist, evicted);
    });
  }

  /** Announces the playlist, then forgets and deletes the segments that left its window. */
  private async announce(playlist: string, evicted: HlsSegment[]): Promise<void> {
    this.hls.announcePlaylist(playlist);
    for (const s of evicted) {
      this.hls.dropSegment(s.uri);
      await unlink(this.path(s.uri)).catch(() => undefined);
    }
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

/** A new file of these pieces: open, one writev (looping on a short write), close; callbacks, no FileHandle. */
function writeWhole(path: string, data: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    openFd(path, 'w', (e, fd) => {
      if (e) return reject(e);
      const done = (err: Error | null) =>
        closeFd(fd, (e2) => {
          const failure = err ?? e2;
          if (failure) reject(failure);
          else resolve();
        });
      const write = (pieces: Buffer[]) =>
        writevFd(fd, pieces, (err, written) => {
          if (err) return done(err);
          let left = written;
          let i = 0;
          while (i < pieces.length && left >= pieces[i]!.length) left -= pieces[i++]!.length;
          if (i === pieces.length) return done(null);
          write([pieces[i]!.subarray(left), ...pieces.slice(i + 1)]);
        });
      write(data);
    });
  });
}
