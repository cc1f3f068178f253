import { EventEmitter } from 'node:events';
import { TIMESTAMP_WRAP_90K, type FlvAudioCodec, type FlvAudioFrame, type FlvVideoUnit } from '@gb/gb28181';
import type { IngestCause } from './ffmpeg-cause';
import type { IngestAudio, IngestState, IngestUnit, ProxyAudioCodec } from './proxy-ingest';

/** A new publisher's timeline starts this long after the last unit of the one before (90 kHz: one frame at 25 fps). */
const PUBLISHER_GAP_90K = 3600;

/** What the ingest knows of the connected encoder: it can drop it. */
export interface PushPublisher {
  /** Where it connects from (logs and causes). */
  readonly remote: string;
  close(reason: string): void;
}

/**
 * The source of a push proxy: whatever encoder publishes to its RTMP URL with the right key (one at a time). Same
 * events and states as ProxyIngest, so the proxies service and the stream session treat both alike: `idle` while no
 * encoder publishes (the cause says why the last one ended or was refused), `connecting` from the accepted publish
 * to its first picture, `live` while pictures flow. start() only marks it wanted: the encoder decides when media comes.
 * Timestamps are the RTMP decode times (ms → 90 kHz), continued across publishers so a reconnect keeps the timeline;
 * audio (AAC as ADTS, G.711) is on the same clock (its RTMP timestamps), other audio formats are counted and dropped.
 */
export class PushIngest extends EventEmitter<{ unit: [IngestUnit]; audio: [IngestAudio]; state: [IngestState]; attemptFailed: [IngestCause] }> {
  state: IngestState = 'idle';
  cause: IngestCause | null = null;
  stateAt = Date.now();
  /** Publishes accepted since this ingest exists. */
  attempts = 0;
  /** The current publisher's audio codec (announced, or its first audio frame's); undefined: none yet. */
  audio: ProxyAudioCodec | undefined;
  /** Audio tags not carried (MP3, Speex, stereo G.711, AAC before its header), since this ingest exists. */
  audioDropped = 0;
  private running = false;
  private publisher?: PushPublisher;
  /** 90 kHz time of the current publisher's first unit, and its RTMP time. */
  private base90k = 0;
  private firstMs?: number;
  private last90k = -PUBLISHER_GAP_90K;

  get isRunning(): boolean {
    return this.running;
  }

  get hasPublisher(): boolean {
    return this.publisher !== undefined;
  }

  start(): void {
    this.running = true;
  }

  /** Drops the publisher, if any; the state becomes `final`. */
  stop(final: 'idle' | 'failed' = 'idle'): void {
    this.running = false;
    const p = this.publisher;
    this.publisher = undefined;
    p?.close('the proxy stopped');
    this.setState(final);
  }

  /** An encoder's publish passed the key check: false when another one is publishing (one per channel). */
  attach(p: PushPublisher): boolean {
    if (this.publisher) return false;
    this.publisher = p;
    this.attempts++;
    this.firstMs = undefined;
    this.audio = undefined;
    this.base90k = this.last90k + PUBLISHER_GAP_90K;
    this.setState('connecting');
    return true;
  }

  /** The publisher left (unpublish, closed connection, bad input): idle with the cause. */
  detach(p: PushPublisher, cause: IngestCause): void {
    if (this.publisher !== p) return;
    this.publisher = undefined;
    this.cause = cause;
    this.emit('attemptFailed', cause);
    this.setState('idle');
  }

  /** A publish refused before it reached this source (wrong key, channel busy): shown as the cause, state unchanged. */
  refused(cause: IngestCause): void {
    this.cause = cause;
    this.stateAt = Date.now();
  }

  unit(p: PushPublisher, u: FlvVideoUnit): void {
    if (this.publisher !== p) return;
    // Decode order times: the PS path carries one timestamp per unit and must see it rise (as the pull path's arrival times).
    const t = this.time90k(u.dts);
    this.last90k = Math.max(this.last90k, t);
    if (this.state !== 'live') this.setState('live');
    this.emit('unit', { data: u.data, keyframe: u.keyframe, codec: u.codec, pts90k: t % TIMESTAMP_WRAP_90K, audio: this.audio });
  }

  /**
   * An audio frame of the publisher (null: a tag of a format not carried, counted; a codec alone: announced by a
   * sequence header or onMetaData, so the next keyframe's PSM declares it before its first frame).
   */
  audioFrame(p: PushPublisher, f: FlvAudioFrame | FlvAudioCodec | null): void {
    if (this.publisher !== p) return;
    if (!f) {
      this.audioDropped++;
      return;
    }
    if (typeof f === 'string') {
      this.audio ??= f;
      return;
    }
    // The first codec stays for this publisher: the PSM declares one.
    this.audio ??= f.codec;
    if (f.codec !== this.audio) {
      this.audioDropped++;
      return;
    }
    const t = this.time90k(f.timestamp);
    this.last90k = Math.max(this.last90k, t);
    this.emit('audio', { codec: f.codec, data: f.data, pts90k: t % TIMESTAMP_WRAP_90K });
  }

  /** RTMP ms (32 bits, wrapping) → the 90 kHz timeline: the publisher's first message (audio or video) is base90k. */
  private time90k(ms: number): number {
    this.firstMs ??= ms;
    return this.base90k + Math.max(0, (ms - this.firstMs) | 0) * 90;
  }

  private setState(s: IngestState): void {
    if (this.state === s) return;
    this.state = s;
    this.stateAt = Date.now();
    this.emit('state', s);
  }
}
