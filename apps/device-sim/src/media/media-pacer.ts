import { EventEmitter } from 'node:events';
import type { MediaUnit } from './media-source';

export interface MediaPacerOptions {
  /** Playback speed: 1 = real time, 2 = twice as fast; a download sends at its a=downloadspeed. Default 1. */
  scale?: number;
  /** Queue span (media seconds) above which the source should pause. Default 2. */
  highWaterS?: number;
  /** Queue span below which the source should resume. Default 0.5. */
  lowWaterS?: number;
}

/** Largest speed factor accepted (GB/T 28181 Annex B speeds are 0.25..4; downloads go up to 64). */
export const MAX_PACER_SCALE = 64;

/**
 * Releases media units at their presentation time: unit due = anchor wall time + (pts − anchor pts) / scale.
 * pause() holds everything (a paused recording sends nothing), resume() re-anchors at now, setScale()
 * changes speed without a jump. Emits 'unit', 'full' / 'low' (backpressure for the source), 'end'
 * once the source ended and the queue drained, and counts the media time sent.
 */
export class MediaPacer extends EventEmitter<{ unit: [MediaUnit]; full: []; low: []; end: [] }> {
  private queue: MediaUnit[] = [];
  private anchor?: { wall: number; pts: number };
  private timer?: NodeJS.Timeout;
  private scaleValue: number;
  private pausedValue = false;
  private full = false;
  private sourceEnded = false;
  private closed = false;
  /** Highest pts released, 90 kHz. */
  lastPts = 0;
  unitsSent = 0;

  constructor(private readonly o: MediaPacerOptions = {}) {
    super();
    this.scaleValue = checkScale(o.scale ?? 1);
  }

  get paused(): boolean {
    return this.pausedValue;
  }

  get scale(): number {
    return this.scaleValue;
  }

  /** Media seconds waiting in the queue. */
  get queuedSeconds(): number {
    if (this.queue.length === 0) return 0;
    return (this.queue[this.queue.length - 1]!.pts90k - this.queue[0]!.pts90k) / 90000;
  }

  push(u: MediaUnit): void {
    if (this.closed) return;
    // keep the queue in pts order: audio and video arrive on separate pipes
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.pts90k > u.pts90k) i--;
    this.queue.splice(i, 0, u);
    if (!this.full && this.queuedSeconds > (this.o.highWaterS ?? 2)) {
      this.full = true;
      this.emit('full');
    }
    this.schedule();
  }

  /** The source has no more units: 'end' follows once the queue is sent. */
  endOfSource(): void {
    this.sourceEnded = true;
    this.schedule();
  }

  pause(): void {
    this.pausedValue = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  resume(): void {
    if (!this.pausedValue) return;
    this.pausedValue = false;
    this.anchor = undefined; // re-anchor: the next unit goes now
    this.schedule();
  }

  setScale(scale: number): void {
    this.scaleValue = checkScale(scale);
    if (this.anchor) this.anchor = { wall: Date.now(), pts: this.lastPts };
    clearTimeout(this.timer);
    this.timer = undefined;
    this.schedule();
  }

  /** Drops the queue (seek); the next unit pushed is sent at once. */
  reset(): void {
    this.queue = [];
    this.anchor = undefined;
    this.sourceEnded = false;
    this.lastPts = 0;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.full) {
      this.full = false;
      this.emit('low');
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.queue = [];
  }

  private schedule(): void {
    if (this.timer || this.pausedValue || this.closed) return;
    const head = this.queue[0];
    if (!head) {
      if (this.sourceEnded) {
        this.sourceEnded = false;
        this.emit('end');
      }
      return;
    }
    this.anchor ??= { wall: Date.now(), pts: head.pts90k };
    const due = this.anchor.wall + (head.pts90k - this.anchor.pts) / 90 / this.scaleValue;
    this.timer = setTimeout(() => this.tick(), Math.max(0, due - Date.now()));
  }

  private tick(): void {
    this.timer = undefined;
    if (this.pausedValue || this.closed || !this.anchor) return this.schedule();
    const now = Date.now();
    while (this.queue.length > 0 && !this.pausedValue && !this.closed) {
      const u = this.queue[0]!;
      const due = this.anchor.wall + (u.pts90k - this.anchor.pts) / 90 / this.scaleValue;
      if (due > now + 1) break;
      this.queue.shift();
      if (u.pts90k > this.lastPts) this.lastPts = u.pts90k;
      this.unitsSent++;
      this.emit('unit', u);
    }
    if (this.full && this.queuedSeconds < (this.o.lowWaterS ?? 0.5)) {
      this.full = false;
      this.emit('low');
    }
    this.schedule();
  }
}

function checkScale(s: number): number {
  const a = Math.abs(s);
  if (!Number.isFinite(a) || a <= 0 || a > MAX_PACER_SCALE) throw new Error(`scale ${s} is not in (0, ${MAX_PACER_SCALE}]`);
  return a; // reverse play is not simulated: the magnitude sets the speed
}
