import { GATEWAY_AAC_CONFIG, adtsFrame, type AacTrackFrame, type PsAccessUnit } from '@gb/gb28181';
import type { CloseReason } from '../streams/stream-session';
import type { Stream } from '../streams/streams.service';
import { TsSegmentRecorder, type RecordedSegment } from './ts-segment-recorder';

/** First pause before reopening a failed stream; doubles per failure up to RECORD_RETRY_MAX_MS. */
export const RECORD_RETRY_MIN_MS = 2_000;
export const RECORD_RETRY_MAX_MS = 60_000;

export type RecorderState = 'starting' | 'recording' | 'retrying' | 'stopped';

export interface RecorderStatus {
  state: RecorderState;
  /** Why it is retrying (the stream's failure), or null. */
  cause: string | null;
  /** Epoch ms of the next attempt while retrying. */
  retryAt: number | null;
  /** Failures since the last finished segment. */
  failures: number;
  /** The segment being written. */
  segment: { path: string; startAt: number; bytes: number } | null;
}

export interface ChannelRecorderDeps {
  root: string;
  segmentMs: number;
  /** Opens (or joins) the channel's live stream as a holder (no view counted). */
  openStream(deviceId: string, channelId: string): Promise<Stream>;
  onOpened(deviceId: string, s: RecordedSegment): void;
  onFinished(deviceId: string, s: RecordedSegment): void;
  log(level: 'log' | 'warn', message: string): void;
}

/**
 * Records one channel with no viewer: opens its live stream as a viewer would, holds it (StreamSession.hold(): the
 * idle sweep leaves it open), feeds its access units and its AAC track (G.711 or AAC from the camera, transcoded by
 * the media session) to a TsSegmentRecorder, and when the stream ends or fails,
 * finishes the segment and opens it again after a back-off (RECORD_RETRY_MIN_MS doubling to RECORD_RETRY_MAX_MS).
 * `stop()` is idempotent: the listener, the hold, the timer and the open segment are released once.
 */
export class ChannelRecorder {
  private stateValue: RecorderState = 'starting';
  private cause: string | null = null;
  private retryAt: number | null = null;
  private failures = 0;
  private writer: TsSegmentRecorder | null = null;
  private detach: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private stopping: Promise<void> | null = null;

  constructor(
    readonly deviceId: string,
    readonly channelId: string,
    private readonly deps: ChannelRecorderDeps,
  ) {
    void this.attempt();
  }

  status(): RecorderStatus {
    const seg = this.writer?.current;
    return {
      state: this.stateValue, cause: this.cause, retryAt: this.retryAt, failures: this.failures,
      segment: seg ? { path: seg.path, startAt: seg.startAt, bytes: seg.bytes } : null,
    };
  }

  /** The path of the segment being written (the sweep leaves it alone). */
  get openPath(): string | null {
    return this.writer?.current?.path ?? null;
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    this.stateValue = 'starting';
    this.retryAt = null;
    let stream: Stream;
    try {
      stream = await this.deps.openStream(this.deviceId, this.channelId);
    } catch (e) {
      return this.retry((e as Error).message);
    }
    if (this.stopped) return;
    const release = stream.hold();
    const media = stream.media;
    const writer = new TsSegmentRecorder({
      root: this.deps.root, channelId: this.channelId, segmentMs: this.deps.segmentMs, audio: media.info().audioTrack,
      onOpened: (s) => this.deps.onOpened(this.deviceId, s),
      onFinished: (s) => {
        this.failures = 0;
        this.deps.onFinished(this.deviceId, s);
      },
      onError: (e) => void this.end(`writing the recording failed: ${e.message}`),
    });
    this.writer = writer;
    const onUnit = (au: PsAccessUnit) => {
      if (au.kind === 'video' && writer.codec !== null && au.codec !== writer.codec) return void this.end(`the camera changed its video from ${writer.codec} to ${au.codec}`);
      writer.push(au);
      if (this.stateValue === 'starting' && writer.current) {
        this.stateValue = 'recording';
        this.cause = null;
      }
    };
    const onAac = (f: AacTrackFrame) => writer.pushAac(adtsFrame(GATEWAY_AAC_CONFIG, f.raw), f.pts);
    const onClosed = (r: CloseReason) => void this.end(r.kind === 'failed' ? `${r.code}: ${r.message}` : `the stream ended: ${r.message}`);
    media.on('accessUnit', onUnit);
    media.on('aacFrame', onAac);
    stream.once('closed', onClosed);
    this.detach = () => {
      media.off('accessUnit', onUnit);
      media.off('aacFrame', onAac);
      stream.off('closed', onClosed);
      release();
    };
    if (!stream.isOpen) void this.end('the stream ended as it opened');
  }

  /** The stream went away (or could not be recorded): finish what was written, then try again later. */
  private async end(cause: string): Promise<void> {
    if (!this.detach) return;
    this.detach();
    this.detach = null;
    const w = this.writer;
    this.writer = null;
    await w?.close();
    this.retry(cause);
  }

  private retry(cause: string): void {
    if (this.stopped) return;
    this.failures++;
    const wait = Math.min(RECORD_RETRY_MAX_MS, RECORD_RETRY_MIN_MS * 2 ** Math.min(10, this.failures - 1));
    this.stateValue = 'retrying';
    this.cause = cause;
    this.retryAt = Date.now() + wait;
    this.deps.log('warn', `recording ${this.channelId}: ${cause}; again in ${Math.round(wait / 1000)} s`);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.attempt();
    }, wait);
    this.timer.unref();
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopped = true;
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.detach?.();
      this.detach = null;
      const w = this.writer;
      this.writer = null;
      await w?.close();
      this.stateValue = 'stopped';
    })();
    return this.stopping;
  }
}
