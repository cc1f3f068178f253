import { Gb28181Error } from '../errors';
import type { RtpPacket } from './rtp.codec';

/** Largest reorder window accepted (packets). */
export const MAX_RTP_REORDER_CAPACITY = 4096;
/** RFC 3550 Appendix A.1: a jump further than this (forward) restarts the sequence... */
export const RTP_MAX_DROPOUT = 3000;
/** ...and so does a jump further back than this, once confirmed by the next packet. */
export const RTP_MAX_MISORDER = 100;

export interface RtpReorderBufferOptions {
  /** Packets held while waiting for a gap to fill (default 64). */
  capacity?: number;
  /** How long a packet may wait behind a gap before the gap is skipped (default 100 ms). */
  maxWaitMs?: number;
}

export interface RtpReorderStats {
  received: number;
  released: number;
  /** Packets that arrived after a later sequence number (and filled a gap in time). */
  reordered: number;
  duplicates: number;
  /** Sequence numbers skipped because they did not arrive in time or room. */
  lost: number;
  /** Packets that arrived after their gap had already been skipped (dropped). */
  late: number;
  /** Sequence restarts (RFC 3550 A.1 big jump confirmed by the next packet). */
  restarts: number;
}

/** Signed distance a - b on the 16-bit sequence circle (-32768..32767). */
export function seqDiff(a: number, b: number): number {
  return (((a - b) & 0xffff) << 16) >> 16;
}

const SKIPPED = 0x10000;
const HISTORY = 1024;

/**
 * Puts RTP packets back in sequence-number order (RFC 3550 §5.1: 16-bit, wrapping).
 * Pure: the caller passes `now` (ms) and calls `flush(now)` from its own timer.
 */
export class RtpReorderBuffer {
  readonly stats: RtpReorderStats = { received: 0, released: 0, reordered: 0, duplicates: 0, lost: 0, late: 0, restarts: 0 };
  private readonly capacity: number;
  private readonly maxWaitMs: number;
  private readonly slots: (RtpPacket | undefined)[];
  private readonly arrivals: Float64Array;
  private head = 0;
  private held = 0;
  /** Next sequence number to release; -1 before the first packet. */
  private expected = -1;
  private highest = 0;
  /** `seq` when released, `seq | SKIPPED` when skipped, -1 unknown; indexed by seq % HISTORY. */
  private readonly history = new Int32Array(HISTORY).fill(-1);
  private restartCandidate: RtpPacket | undefined;

  constructor(opts: RtpReorderBufferOptions = {}) {
    const capacity = opts.capacity ?? 64;
    const maxWaitMs = opts.maxWaitMs ?? 100;
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_RTP_REORDER_CAPACITY) {
      throw new Gb28181Error('RTP_REORDER_BAD_OPTION', `capacity ${capacity} must be an integer in 1..${MAX_RTP_REORDER_CAPACITY}`);
    }
    if (!(maxWaitMs >= 0)) throw new Gb28181Error('RTP_REORDER_BAD_OPTION', `maxWaitMs ${maxWaitMs} must be >= 0`);
    this.capacity = capacity;
    this.maxWaitMs = maxWaitMs;
    this.slots = new Array<RtpPacket | undefined>(capacity).fill(undefined);
    this.arrivals = new Float64Array(capacity);
  }

  /** Packets waiting behind a gap. */
  get size(): number {
    return this.held;
  }

  push(p: RtpPacket, now: number): RtpPacket[] {
    const out: RtpPacket[] = [];
    this.stats.received++;
    const seq = p.sequenceNumber & 0xffff;
    if (this.expected < 0) {
      this.expected = seq;
      this.highest = seq;
    }
    const diff = seqDiff(seq, this.expected);
    if (diff > RTP_MAX_DROPOUT || diff < -RTP_MAX_MISORDER) {
      const cand = this.restartCandidate;
      if (cand && seqDiff(seq, cand.sequenceNumber) === 1) {
        // RFC 3550 A.1: two sequential packets after a big jump = the source restarted.
        this.restartCandidate = undefined;
        this.stats.restarts++;
        this.drainAll(out);
        this.expected = cand.sequenceNumber;
        this.highest = cand.sequenceNumber;
        this.store(cand, 0, now);
        this.store(p, 1, now);
        this.release(out);
      } else {
        this.restartCandidate = p;
        this.stats.late++;
      }
      return out;
    }
    this.restartCandidate = undefined;
    if (diff < 0) {
      const h = this.history[seq % HISTORY];
      if (h === seq) this.stats.duplicates++;
      else {
        this.stats.late++;
        if (h === (seq | SKIPPED)) this.history[seq % HISTORY] = seq;
      }
      return out;
    }
    if (diff >= this.capacity) this.skip(diff - this.capacity + 1, out);
    const d = seqDiff(seq, this.expected);
    if (this.slots[(this.head + d) % this.capacity]) {
      this.stats.duplicates++;
      return out;
    }
    if (seqDiff(seq, this.highest) < 0) this.stats.reordered++;
    else this.highest = seq;
    this.store(p, d, now);
    this.release(out);
    this.expire(now, out);
    return out;
  }

  /**
   * The common case without a copy: when nothing is held and `seq` is the next sequence number expected, the packet is
   * counted as received and released, and true is returned: the caller delivers it itself (the buffer keeps nothing of
   * it, so the caller may reuse its packet object). Otherwise false and nothing changed: push() it.
   */
  inOrder(seq: number): boolean {
    seq &= 0xffff;
    if (this.held > 0 || this.restartCandidate || this.expected !== seq || seqDiff(seq, this.highest) < 0) return false;
    this.stats.received++;
    this.highest = seq;
    this.history[seq % HISTORY] = seq;
    this.stats.released++;
    this.advance();
    return true;
  }

  /** Releases what has waited longer than maxWaitMs behind a gap, skipping the gap (counted lost). */
  flush(now: number): RtpPacket[] {
    const out: RtpPacket[] = [];
    this.expire(now, out);
    return out;
  }

  /** Releases everything held, in order, skipping gaps (e.g. at the end of a stream). */
  drain(): RtpPacket[] {
    const out: RtpPacket[] = [];
    this.drainAll(out);
    return out;
  }

  private store(p: RtpPacket, d: number, now: number): void {
    const i = (this.head + d) % this.capacity;
    this.slots[i] = p;
    this.arrivals[i] = now;
    this.held++;
  }

  /** Releases consecutive packets at the head. */
  private release(out: RtpPacket[]): void {
    for (;;) {
      const p = this.slots[this.head];
      if (!p) return;
      this.slots[this.head] = undefined;
      this.held--;
      this.history[this.expected % HISTORY] = this.expected;
      out.push(p);
      this.stats.released++;
      this.advance();
    }
  }

  private advance(): void {
    this.head = (this.head + 1) % this.capacity;
    this.expected = (this.expected + 1) & 0xffff;
  }

  /** Moves the head forward `n` sequence numbers, releasing held packets and counting the missing as lost. */
  private skip(n: number, out: RtpPacket[]): void {
    const walk = Math.min(n, this.capacity);
    for (let k = 0; k < walk; k++) {
      const p = this.slots[this.head];
      if (p) {
        this.slots[this.head] = undefined;
        this.held--;
        this.history[this.expected % HISTORY] = this.expected;
        out.push(p);
        this.stats.released++;
      } else {
        this.history[this.expected % HISTORY] = this.expected | SKIPPED;
        this.stats.lost++;
      }
      this.advance();
    }
    if (n > walk) {
      this.stats.lost += n - walk;
      this.expected = (this.expected + n - walk) & 0xffff;
    }
    this.release(out);
  }

  private expire(now: number, out: RtpPacket[]): void {
    while (this.held > 0) {
      let oldest = Infinity;
      let firstHeld = -1;
      for (let d = 0; d < this.capacity; d++) {
        const i = (this.head + d) % this.capacity;
        if (this.slots[i]) {
          if (firstHeld < 0) firstHeld = d;
          if (this.arrivals[i] < oldest) oldest = this.arrivals[i];
        }
      }
      if (now - oldest < this.maxWaitMs) return;
      this.skip(firstHeld, out);
    }
  }

  private drainAll(out: RtpPacket[]): void {
    while (this.held > 0) {
      let firstHeld = 0;
      while (!this.slots[(this.head + firstHeld) % this.capacity]) firstHeld++;
      this.skip(firstHeld, out);
    }
  }
}
