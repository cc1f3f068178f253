/** What a bad network does to RTP, applied by the sender: seeded, so a failing run can be replayed. */
export interface RtpImpairmentOptions {
  /** Fraction of packets dropped, 0..1. */
  loss?: number;
  /** Fraction of packets held back and sent after the next one (swapped), 0..1. */
  reorder?: number;
  /** PRNG seed. Default 1. */
  seed?: number;
}

export interface RtpImpairmentStats {
  dropped: number;
  reordered: number;
}

/** mulberry32: a small, fast, seedable PRNG; returns [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Decides per packet: drop it, hold it back (it goes out right after the next packet), or send it.
 * `apply(pkt)` returns the packets to send now, in order.
 */
export class RtpImpairment {
  readonly stats: RtpImpairmentStats = { dropped: 0, reordered: 0 };
  private readonly rand: () => number;
  private held?: Buffer;

  constructor(private readonly o: RtpImpairmentOptions = {}) {
    for (const [k, v] of Object.entries({ loss: o.loss, reorder: o.reorder })) {
      if (v !== undefined && !(v >= 0 && v <= 1)) throw new Error(`${k} ${v} must be a fraction in 0..1`);
    }
    this.rand = mulberry32(o.seed ?? 1);
  }

  get active(): boolean {
    return (this.o.loss ?? 0) > 0 || (this.o.reorder ?? 0) > 0;
  }

  apply(pkt: Buffer): Buffer[] {
    if (!this.active) return [pkt];
    if (this.rand() < (this.o.loss ?? 0)) {
      this.stats.dropped++;
      return [];
    }
    if (!this.held && this.rand() < (this.o.reorder ?? 0)) {
      this.held = pkt;
      this.stats.reordered++;
      return [];
    }
    const held = this.held;
    this.held = undefined;
    return held ? [pkt, held] : [pkt];
  }
}
