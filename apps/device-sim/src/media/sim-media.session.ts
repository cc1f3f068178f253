import { MediaPacer } from './media-pacer';
import { MediaSource, type MediaSourceOptions } from './media-source';
import { PsRtpSender, type PsRtpSenderOptions, type PsRtpSenderStats } from './ps-rtp.sender';
import type { MansrtspRequest } from './mansrtsp.parser';

export type SimSessionKind = 'Play' | 'Playback' | 'Download';

export interface SimMediaSessionOptions {
  kind: SimSessionKind;
  /** Codec, size, file...; offset/duration/overlay are set by the session. */
  source: Omit<MediaSourceOptions, 'offsetS' | 'durationS' | 'overlayEpochS' | 'loop'>;
  sender: PsRtpSenderOptions;
  /** Playback/Download: the requested range (t= line), unix seconds; 0/0 = open-ended. */
  rangeStart?: number;
  rangeEnd?: number;
  /** Initial speed (Download: a=downloadspeed). Default 1. */
  scale?: number;
  /** Answer but never send (a device whose media never arrives). */
  noRtp?: boolean;
  /** The requested range has been sent (Playback/Download). */
  onEnd?: () => void;
  onError?: (e: Error) => void;
}

/** Longest recording simulated, seconds. */
export const MAX_SIM_RECORDING_S = 24 * 3600;

/**
 * One INVITE dialog's media: source (ffmpeg) -> pacer (real time × scale, pause) -> PS/RTP sender.
 * Playback honours the t= range (sends end − start seconds, then onEnd), MANSRTSP pause/resume/seek/speed.
 */
export class SimMediaSession {
  readonly sender: PsRtpSender;
  private readonly pacer: MediaPacer;
  private source?: MediaSource;
  private baseOffsetS = 0;
  private stopped = false;
  private started = false;
  ended = false;

  constructor(private readonly o: SimMediaSessionOptions) {
    this.sender = new PsRtpSender(o.sender);
    this.pacer = new MediaPacer({ scale: o.scale ?? 1 });
    this.pacer.on('unit', (u) => this.sender.send(u));
    this.pacer.on('full', () => this.source?.pause());
    this.pacer.on('low', () => this.source?.resume());
    this.pacer.on('end', () => {
      if (this.stopped || this.ended) return;
      this.ended = true;
      this.o.onEnd?.();
    });
  }

  /** Seconds of the recording: end − start, or undefined when open-ended (live, or t=0 0). */
  get lengthS(): number | undefined {
    const { rangeStart: s = 0, rangeEnd: e = 0 } = this.o;
    if (this.o.kind === 'Play' || !(e > s)) return undefined;
    return Math.min(e - s, MAX_SIM_RECORDING_S);
  }

  /** Media position, seconds from the start of the requested range. */
  get positionS(): number {
    return this.baseOffsetS + this.pacer.lastPts / 90000;
  }

  get paused(): boolean {
    return this.pacer.paused;
  }

  get scale(): number {
    return this.pacer.scale;
  }

  get stats(): PsRtpSenderStats {
    return this.sender.stats;
  }

  /** Port for the SDP answer (UDP source port / TCP listen port; 0 when the device connects). */
  bind(): Promise<number> {
    return this.sender.bind();
  }

  /** After the ACK: connect (TCP), then start sending. */
  async start(): Promise<void> {
    if (this.started || this.stopped) return;
    this.started = true;
    if (this.o.noRtp) return;
    try {
      await this.sender.connect();
    } catch (e) {
      this.o.onError?.(e as Error);
      this.stop();
      return;
    }
    if (!this.stopped) this.startSource(0);
  }

  private startSource(offsetS: number): void {
    this.source?.stop();
    this.source?.removeAllListeners();
    this.pacer.reset();
    this.baseOffsetS = offsetS;
    const len = this.lengthS;
    const history = this.o.kind !== 'Play';
    const src = new MediaSource({
      ...this.o.source,
      loop: true,
      offsetS: offsetS || undefined,
      durationS: len === undefined ? undefined : Math.max(0, len - offsetS),
      overlayEpochS: history ? (this.o.rangeStart ?? Math.floor(Date.now() / 1000)) : undefined,
    });
    src.on('unit', (u) => this.pacer.push(u));
    src.on('end', () => this.pacer.endOfSource());
    src.on('error', (e) => this.o.onError?.(e));
    this.source = src;
    src.start();
  }

  /** MANSRTSP (Annex B): returns the SIP status for the INFO. */
  control(r: MansrtspRequest): number {
    if (this.o.kind === 'Play') return 405;
    if (this.stopped) return 481;
    switch (r.method) {
      case 'PAUSE':
        this.pacer.pause();
        return 200;
      case 'PLAY': {
        if (r.scale !== undefined) {
          try {
            this.pacer.setScale(r.scale);
          } catch {
            return 400;
          }
        }
        if (typeof r.rangeFrom === 'number') {
          const len = this.lengthS;
          if (len !== undefined && r.rangeFrom >= len) return 400; // past the end of the recording
          if (this.started && !this.o.noRtp) this.startSource(r.rangeFrom);
        }
        this.pacer.resume();
        return 200;
      }
      case 'TEARDOWN':
        this.stop();
        return 200;
      default:
        return 501;
    }
  }

  /** Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.source?.stop();
    this.pacer.close();
    this.sender.close();
  }
}
