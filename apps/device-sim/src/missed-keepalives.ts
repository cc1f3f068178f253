/**
 * What a run of keepalives without a 2xx means: `server-gone` when none of them got any answer (the device
 * may move to a fallback server), `reregister` when one got a non-2xx answer (a server that forgot the device).
 */
export type KeepaliveVerdict = 'server-gone' | 'reregister';

/** One keepalive sent: hand it back to `settled()`. */
export interface KeepaliveTicket {
  readonly seq: number;
  readonly epoch: number;
}

/**
 * Counts consecutive keepalives without a 2xx (§9.6), no timers of its own. A keepalive counts as missed
 * when its transaction ends without a 2xx, or earlier, when the next one is due and it is still unanswered:
 * keepalives go out on an interval while each may wait Timer F (64 × T1, often longer than the interval),
 * so counting only at Timer F would notice `max` misses Timer F + (max - 1) intervals late. Each keepalive
 * counts once; a 2xx ends the run (and the ones sent before it stop counting); keepalives sent before the
 * last `reset()` count for nothing.
 */
export class MissedKeepalives {
  private epoch = 0;
  private seq = 0;
  private missed = 0;
  private answeredNon2xx = false;
  private readonly outstanding = new Map<number, { counted: boolean }>();

  constructor(private readonly max: number) {}

  /** Misses in the current run. */
  get count(): number {
    return this.missed;
  }

  /** A new run: after a registration or a server change. */
  reset(): void {
    this.epoch++;
    this.missed = 0;
    this.answeredNon2xx = false;
    this.outstanding.clear();
  }

  sent(): KeepaliveTicket {
    const t = { seq: ++this.seq, epoch: this.epoch };
    this.outstanding.set(t.seq, { counted: false });
    return t;
  }

  /** The next keepalive is due: those still unanswered count as missed now. */
  due(): KeepaliveVerdict | undefined {
    for (const k of this.outstanding.values()) {
      if (k.counted) continue;
      k.counted = true;
      const v = this.miss(false);
      if (v) return v;
    }
    return undefined;
  }

  /** A keepalive's transaction ended: `status` is its final answer, undefined when none came in time. */
  settled(t: KeepaliveTicket, status: number | undefined): KeepaliveVerdict | undefined {
    if (t.epoch !== this.epoch) return undefined;
    const k = this.outstanding.get(t.seq);
    this.outstanding.delete(t.seq);
    if (status !== undefined && status >= 200 && status < 300) {
      for (const [seq, other] of this.outstanding) if (seq < t.seq) other.counted = true;
      this.missed = 0;
      this.answeredNon2xx = false;
      return undefined;
    }
    if (k && !k.counted) return this.miss(status !== undefined);
    if (status !== undefined) this.answeredNon2xx = true;
    return undefined;
  }

  private miss(answered: boolean): KeepaliveVerdict | undefined {
    this.missed++;
    if (answered) this.answeredNon2xx = true;
    if (this.missed < this.max) return undefined;
    const verdict: KeepaliveVerdict = this.answeredNon2xx ? 'reregister' : 'server-gone';
    this.reset();
    return verdict;
  }
}
