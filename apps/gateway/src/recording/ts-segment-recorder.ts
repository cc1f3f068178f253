import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { KeyframeGate, MediaTimeline, TsMuxer, type PsAccessUnit } from '@gb/gb28181';

/** Where the first frame of a run lands on its timeline (90 kHz): 1 s, room for the PCR below it. */
export const RECORD_ORIGIN_90K = 90_000;
/** Muxed bytes are handed to the file at least this often (ms): a kill -9 loses at most this much video. */
export const RECORD_FLUSH_MS = 1_000;
/** …or when this many bytes are waiting, whichever comes first. */
export const RECORD_FLUSH_BYTES = 512 * 1024;
/** Bytes handed to the file system and not yet written: above this (a stalled disk) frames are dropped to the next keyframe. */
export const RECORD_MAX_QUEUED_BYTES = 16 * 1024 * 1024;
/** ADTS frames gathered into one audio PES. */
export const RECORD_AUDIO_FRAMES_PER_PES = 4;
/**
 * AAC frames held while they are ahead of the video (~4 s at 16 kHz): audio is written beside the video frame it goes
 * with, so a segment carries the audio of its own time. Past this (video stalled, audio flowing) the oldest is written.
 */
export const RECORD_AUDIO_AHEAD_MAX_FRAMES = 64;

export interface RecordedSegment {
  /** Relative to the recorder's root, '/'-separated: `<channelId>/<yyyy-mm-dd>/<start epoch ms>.ts` (UTC date). */
  path: string;
  /** Epoch ms: the wall-clock time of its first frame (a run's later segments continue from the previous end). */
  startAt: number;
  /** Epoch ms (set when finished). */
  endAt?: number;
  bytes: number;
  codec: 'h264' | 'h265';
}

export interface TsSegmentRecorderOptions {
  /** RECORD_DIR. */
  root: string;
  channelId: string;
  /** Target segment length (ms): a segment is cut at the first keyframe after it. */
  segmentMs: number;
  /** Carry an AAC track (the stream's AAC track: ADTS frames on the camera's clock, given to pushAac()). */
  audio?: boolean;
  now?: () => number;
  /** A segment was opened (its file exists from its first flush). Must not throw. */
  onOpened?: (s: RecordedSegment) => void;
  /** A segment was finished: its last bytes are on disk, its end is known. Must not throw. */
  onFinished?: (s: RecordedSegment) => void;
  /** A write failed (the disk is full, the directory went away): the recorder stops writing. */
  onError?: (e: Error) => void;
}

interface Current {
  seg: RecordedSegment;
  muxer: TsMuxer;
  startPts: number;
  lastPts: number;
  handle: Promise<FileHandle>;
}

/** The relative path of a segment starting at `startAt`. */
export function segmentPath(channelId: string, startAt: number): string {
  return `${channelId}/${new Date(startAt).toISOString().slice(0, 10)}/${startAt}.ts`;
}

/**
 * One recording run of a channel: H.264 or H.265 access units (and the stream's AAC track, ADTS, with `audio`) -> one timeline
 * (MediaTimeline) -> MPEG-TS (TsMuxer, PAT/PMT at each segment's start so each file plays alone) -> files cut at
 * keyframes every `segmentMs`. Bytes reach the file at least every RECORD_FLUSH_MS, appended to the open file, so a
 * process killed mid-segment leaves a file that plays up to its last flush (a TS needs no trailer). A run's segments
 * are adjacent: each starts where the previous one ended on the wall clock, measured on the media timeline.
 */
export class TsSegmentRecorder {
  private readonly timeline = new MediaTimeline({ origin90k: RECORD_ORIGIN_90K });
  private readonly gate = new KeyframeGate();
  private readonly now: () => number;
  private cur: Current | null = null;
  /** End of the previous segment of this run (the next one starts there). */
  private runEnd: number | null = null;
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  private queue: Promise<void> = Promise.resolve();
  private queuedBytes = 0;
  private audioFrames: Buffer[] = [];
  private audioPts = 0;
  /** AAC frames ahead of the video written so far, in arrival order (see RECORD_AUDIO_AHEAD_MAX_FRAMES). */
  private aheadAudio: { adts: Buffer; at: number }[] = [];
  private frameStep = 3600;
  /** The run's video codec (its first frame's). */
  codec: 'h264' | 'h265' | null = null;
  private readonly flusher: NodeJS.Timeout;
  private failed = false;
  private closed = false;
  /** Frames dropped: before the first keyframe, or while the disk was behind. */
  dropped = 0;

  constructor(private readonly o: TsSegmentRecorderOptions) {
    this.now = o.now ?? Date.now;
    this.flusher = setInterval(() => this.flush(), RECORD_FLUSH_MS);
    this.flusher.unref();
  }

  /** The segment being written (null before the first keyframe). */
  get current(): RecordedSegment | null {
    return this.cur?.seg ?? null;
  }

  push(au: PsAccessUnit): void {
    if (this.closed || this.failed) return;
    if (au.kind !== 'video' || (au.codec !== 'h264' && au.codec !== 'h265')) return;
    if (this.codec !== null && au.codec !== this.codec) return; // one codec per run (the recorder restarts on a change)
    this.codec ??= au.codec;
    const t = this.timeline.stamp(au.pts, au.dts);
    this.frameStep = this.timeline.frameStep90k;
    if (this.queuedBytes > RECORD_MAX_QUEUED_BYTES) this.gate.shut();
    if (!this.gate.admit(au.keyframe, this.queuedBytes <= RECORD_MAX_QUEUED_BYTES / 2)) {
      this.dropped++;
      return;
    }
    const cur = this.cur;
    if (!cur || (au.keyframe && t.pts - cur.startPts >= this.o.segmentMs * 90)) {
      if (cur) {
        this.releaseAudio(t.pts - 1); // audio before the cut stays with the segment it belongs to
        this.finish(cur, t.pts);
      }
      this.openSegment(t.pts);
    }
    this.releaseAudio(t.pts);
    const c = this.cur!;
    if (t.pts > c.lastPts) c.lastPts = t.pts;
    try {
      this.append(c.muxer.muxVideo(au.data, t.pts, t.dts, au.keyframe));
    } catch {
      this.dropped++;
    }
  }

  /**
   * One ADTS frame of the AAC track, `pts` on the camera's clock (placed on the video's timeline; dropped before the
   * first segment). Written once the video has reached its time: audio that arrives ahead of the video (the camera's
   * audio path is often faster) would otherwise land in the segment before the one it belongs to, and a player that
   * seeks into a segment would find its first seconds without audio (MSE then has a hole there and playback stalls).
   */
  pushAac(adts: Buffer, pts: number): void {
    if (!this.o.audio || this.closed || this.failed || !this.cur || this.gate.waiting) return;
    const at = this.timeline.place(pts);
    if (at === null || at < 0) return;
    this.aheadAudio.push({ adts, at });
    if (this.aheadAudio.length > RECORD_AUDIO_AHEAD_MAX_FRAMES) {
      const oldest = this.aheadAudio.shift()!;
      this.writeAudio(oldest.adts, oldest.at);
    }
    this.releaseAudio(this.cur.lastPts);
  }

  /** Writes the held audio frames up to `upTo` (90 kHz on the timeline) into the current segment. */
  private releaseAudio(upTo: number): void {
    let n = 0;
    while (n < this.aheadAudio.length && this.aheadAudio[n]!.at <= upTo) {
      this.writeAudio(this.aheadAudio[n]!.adts, this.aheadAudio[n]!.at);
      n++;
    }
    if (n > 0) this.aheadAudio.splice(0, n);
  }

  private writeAudio(adts: Buffer, at: number): void {
    if (this.audioFrames.length === 0) this.audioPts = at;
    this.audioFrames.push(adts);
    if (this.audioFrames.length >= RECORD_AUDIO_FRAMES_PER_PES) this.flushAudio();
  }

  private flushAudio(): void {
    if (this.audioFrames.length === 0 || !this.cur) return;
    const frames = this.audioFrames;
    this.audioFrames = [];
    try {
      this.append(this.cur.muxer.muxAudio(Buffer.concat(frames), this.audioPts));
    } catch {
      /* an oversized unit: left out */
    }
  }

  private openSegment(pts: number): void {
    const startAt = this.runEnd ?? this.now();
    const seg: RecordedSegment = { path: segmentPath(this.o.channelId, startAt), startAt, bytes: 0, codec: this.codec ?? 'h264' };
    const full = join(this.o.root, seg.path);
    const muxer = new TsMuxer({ video: this.codec ?? 'h264', ...(this.o.audio ? { audio: 'aac' as const } : {}) });
    const handle = mkdir(dirname(full), { recursive: true }).then(() => open(full, 'wx'));
    handle.catch(() => undefined); // observed in the write chain
    this.cur = { seg, muxer, startPts: pts, lastPts: pts, handle };
    this.append(muxer.tables());
    this.safe(() => this.o.onOpened?.(seg));
  }

  /** Ends `cur` at `endPts` (the next keyframe, or the last frame + one frame interval): writes its rest, closes it. */
  private finish(cur: Current, endPts: number): void {
    this.flushAudio();
    const endAt = cur.seg.startAt + Math.max(1, Math.round((endPts - cur.startPts) / 90));
    this.runEnd = endAt;
    this.flush();
    this.cur = null;
    this.enqueue(0, async () => {
      const h = await cur.handle;
      await h.sync().catch(() => undefined);
      await h.close();
      cur.seg.endAt = endAt;
      this.safe(() => this.o.onFinished?.(cur.seg));
    });
  }

  private append(b: Buffer): void {
    this.chunks.push(b);
    this.chunkBytes += b.length;
    if (this.chunkBytes >= RECORD_FLUSH_BYTES) this.flush();
  }

  /** Hands the gathered bytes to the current segment's file. */
  flush(): void {
    if (this.chunks.length === 0 || !this.cur) return;
    const cur = this.cur;
    const data = this.chunks;
    const bytes = this.chunkBytes;
    this.chunks = [];
    this.chunkBytes = 0;
    cur.seg.bytes += bytes;
    this.enqueue(bytes, async () => {
      const h = await cur.handle;
      await h.writev(data);
    });
  }

  private enqueue(bytes: number, op: () => Promise<void>): void {
    this.queuedBytes += bytes;
    this.queue = this.queue.then(async () => {
      try {
        if (!this.failed) await op();
      } catch (e) {
        this.failed = true;
        this.safe(() => this.o.onError?.(e as Error));
      } finally {
        this.queuedBytes -= bytes;
      }
    });
  }

  /** Resolves when every write queued so far has finished. */
  idle(): Promise<void> {
    return this.queue;
  }

  /** Finishes the current segment (ending one frame interval after its last frame) and stops. Idempotent. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      clearInterval(this.flusher);
      if (this.cur) {
        this.releaseAudio(Infinity);
        this.finish(this.cur, this.cur.lastPts + this.frameStep);
      }
    }
    await this.queue;
  }

  private safe(fn: () => void): void {
    try {
      fn();
    } catch {
      /* a listener's failure is its own */
    }
  }
}
