import type { DownloadDto, DownloadProgressDto } from '@gb/contracts';

export type { DownloadDto };

export type DownloadState = DownloadProgressDto['state'];


export interface DownloadSpec {
  id: string;
  deviceId: string;
  channelId: string;
  start: number;
  end: number;
  speed: number;
}

/** A download with no new media for this long fails (a device that stopped sending mid-file). */
export const DOWNLOAD_STALL_MS = 30_000;
/** A download whose stream ended after at least this share of the range counts as done (devices cut the last GOP). */
export const DOWNLOAD_DONE_RATIO = 0.95;
/** Highest progress shown while downloading: 1 is kept for "done". */
const MAX_RUNNING_PROGRESS = 0.99;

/**
 * The state machine of one download, a function of what it is told (no timers, no I/O):
 *
 *   starting --attached--> downloading --closed(ended or >= 95 %)--> done
 *       |                       |--------closed(short) / stalled---> failed
 *       +--------fail-----------+
 *
 * Progress = media seconds received (video PTS span) / (end - start), shown below 1 until done.
 */
export class DownloadJob {
  state: DownloadState = 'starting';
  progress = 0;
  bytes = 0;
  error: string | null = null;
  streamId: string | null = null;
  finishedAt: number | null = null;
  private mediaSeconds = 0;
  private lastGrowthAt: number;

  constructor(
    readonly spec: DownloadSpec,
    readonly createdAt: number,
  ) {
    this.lastGrowthAt = createdAt;
  }

  get finished(): boolean {
    return this.state === 'done' || this.state === 'failed';
  }

  get durationSeconds(): number {
    return this.spec.end - this.spec.start;
  }

  /** The stream is set up and media flows. */
  attached(streamId: string, now: number): void {
    if (this.state !== 'starting') return;
    this.streamId = streamId;
    this.state = 'downloading';
    this.lastGrowthAt = now;
  }

  /**
   * A periodic sample of media seconds and file bytes. Returns 'stalled' (once the state went to failed)
   * when no media arrived for DOWNLOAD_STALL_MS.
   */
  sample(mediaSeconds: number, bytes: number, now: number): 'ok' | 'stalled' {
    if (this.state !== 'downloading') return 'ok';
    if (bytes > this.bytes) this.bytes = bytes;
    if (mediaSeconds > this.mediaSeconds) {
      this.mediaSeconds = mediaSeconds;
      this.lastGrowthAt = now;
    }
    this.progress = Math.min(MAX_RUNNING_PROGRESS, this.ratio());
    if (now - this.lastGrowthAt >= DOWNLOAD_STALL_MS) {
      this.fail(
        `no media from the device for ${Math.round(DOWNLOAD_STALL_MS / 1000)} s after ${percent(this.ratio())} of the range (${this.mediaSeconds.toFixed(1)} of ${this.durationSeconds} s): the device stalled`,
        now,
      );
      return 'stalled';
    }
    return 'ok';
  }

  /** The stream closed: done when the device said the file ended (MediaStatus 121) or nearly all arrived. */
  closed(o: { ended: boolean; error: string | null; mediaSeconds: number; bytes: number }, now: number): void {
    if (this.finished) return;
    if (o.mediaSeconds > this.mediaSeconds) this.mediaSeconds = o.mediaSeconds;
    if (o.bytes > this.bytes) this.bytes = o.bytes;
    const ratio = this.ratio();
    if (this.bytes > 0 && this.mediaSeconds > 0 && (o.ended || ratio >= DOWNLOAD_DONE_RATIO)) {
      this.state = 'done';
      this.progress = 1;
      this.finishedAt = now;
      return;
    }
    const why =
      o.error ??
      (this.mediaSeconds === 0
        ? 'the stream closed before any media arrived'
        : `the stream closed after ${percent(ratio)} of the range (${this.mediaSeconds.toFixed(1)} of ${this.durationSeconds} s) without the device reporting the end of the file`);
    this.fail(why, now);
  }

  fail(message: string, now: number): void {
    if (this.finished) return;
    this.state = 'failed';
    this.error = message;
    this.finishedAt = now;
    this.progress = Math.min(MAX_RUNNING_PROGRESS, this.ratio());
  }

  toDto(): DownloadDto {
    const s = this.spec;
    return {
      id: s.id, deviceId: s.deviceId, channelId: s.channelId, start: s.start, end: s.end, speed: s.speed,
      state: this.state, progress: Math.round(this.progress * 1000) / 1000, bytes: this.bytes, error: this.error,
      url: `/api/downloads/${s.id}/file`,
      createdAt: new Date(this.createdAt).toISOString(),
      finishedAt: this.finishedAt === null ? null : new Date(this.finishedAt).toISOString(),
    };
  }

  private ratio(): number {
    return this.durationSeconds > 0 ? Math.min(1, this.mediaSeconds / this.durationSeconds) : 0;
  }
}

function percent(r: number): string {
  return `${Math.round(r * 100)} %`;
}
