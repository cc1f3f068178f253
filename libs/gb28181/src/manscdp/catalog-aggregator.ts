/**
 * Reassembles multi-packet list responses (Catalog §9.5.2, RecordInfo §9.7):
 * a device answers one query with several MESSAGEs carrying the same SN, each
 * with the total `SumNum` and a slice of the items.
 *
 * Pure: no timers. The caller passes `now` and calls `expire(now)` on its own
 * schedule (`nextDeadline()` says when the next aggregation would expire).
 *
 * Tolerates what devices do: reordered and duplicated packets, a `Num` that
 * disagrees with the items, missing packets (after `gapTimeoutMs` of silence the
 * aggregation ends incomplete with what arrived, as WVP stores after 5 s), and
 * unsolicited lists (an unknown SN starts a new aggregation). Packets repeated
 * after an aggregation ended (UDP retransmissions) are ignored, not restarted.
 */
import type { CatalogItem, RecordItem } from './manscdp.types';

/** Silence after which an incomplete aggregation ends (WVP uses 5 s). */
export const DEFAULT_AGGREGATION_GAP_MS = 5_000;
/** Most distinct items one aggregation keeps (bound per query). */
export const MAX_AGGREGATED_ITEMS = 50_000;
/** Most aggregations open at once (bounds memory against SN-spraying devices). */
export const MAX_PENDING_AGGREGATIONS = 4_096;
/** How many ended aggregations are remembered to ignore their late duplicates. */
export const MAX_RECENTLY_ENDED = 4_096;

export interface AggregatorOptions {
  gapTimeoutMs?: number;
  maxItems?: number;
  maxPending?: number;
}

export interface AggregateResult<T> {
  deviceId: string;
  sn: number;
  sumNum: number;
  items: T[];
  /** True when the distinct items reached SumNum. */
  complete: boolean;
  /** Present (true) when the aggregation ended because it passed maxItems. */
  truncated?: true;
}

export type AggregateEvent<T> =
  | { status: 'progress'; deviceId: string; sn: number; received: number; sumNum: number }
  | { status: 'complete'; result: AggregateResult<T> }
  | { status: 'ignored'; reason: string };

export interface AggregatePacket<T> {
  sn: number;
  sumNum: number;
  items: T[];
}

interface Pending<T> {
  deviceId: string;
  sn: number;
  /** -1 until a packet says. */
  sumNum: number;
  items: Map<string, T>;
  lastActivity: number;
}

/** Generic multi-packet list aggregator keyed by (deviceId, SN); items de-duplicated by `keyOf` (last wins). */
export class ListAggregator<T> {
  private readonly gapTimeoutMs: number;
  private readonly maxItems: number;
  private readonly maxPending: number;
  private readonly open = new Map<string, Pending<T>>();
  /** key -> when it ended; insertion-ordered so the oldest is evicted first. */
  private readonly ended = new Map<string, number>();

  constructor(
    private readonly keyOf: (item: T) => string,
    opts: AggregatorOptions = {},
  ) {
    this.gapTimeoutMs = opts.gapTimeoutMs ?? DEFAULT_AGGREGATION_GAP_MS;
    this.maxItems = opts.maxItems ?? MAX_AGGREGATED_ITEMS;
    this.maxPending = opts.maxPending ?? MAX_PENDING_AGGREGATIONS;
  }

  /** Number of aggregations still open. */
  get pending(): number {
    return this.open.size;
  }

  /** Opens an aggregation for a query just sent. Idempotent; forgets a previous end of the same key. */
  start(deviceId: string, sn: number, now: number): void {
    const key = aggKey(deviceId, sn);
    this.ended.delete(key);
    const p = this.open.get(key);
    if (p) p.lastActivity = now;
    else if (this.open.size < this.maxPending) {
      this.open.set(key, { deviceId, sn, sumNum: -1, items: new Map(), lastActivity: now });
    }
  }

  /** Adds one packet. */
  add(deviceId: string, msg: AggregatePacket<T>, now: number): AggregateEvent<T> {
    const key = aggKey(deviceId, msg.sn);
    let p = this.open.get(key);
    if (!p) {
      if (this.ended.has(key)) return { status: 'ignored', reason: 'aggregation already ended (late duplicate)' };
      if (this.open.size >= this.maxPending) return { status: 'ignored', reason: `more than ${this.maxPending} aggregations open` };
      // Unsolicited (some devices push catalogs unasked): a new aggregation.
      p = { deviceId, sn: msg.sn, sumNum: -1, items: new Map(), lastActivity: now };
      this.open.set(key, p);
    }
    p.lastActivity = now;
    if (Number.isSafeInteger(msg.sumNum) && msg.sumNum >= 0) p.sumNum = msg.sumNum;

    for (const item of msg.items) {
      const k = this.keyOf(item);
      if (!p.items.has(k) && p.items.size >= this.maxItems) {
        return { status: 'complete', result: { ...this.end(key, p, false), truncated: true } };
      }
      p.items.set(k, item);
    }

    if (p.sumNum >= 0 && p.items.size >= p.sumNum) {
      return { status: 'complete', result: this.end(key, p, true) };
    }
    return { status: 'progress', deviceId, sn: msg.sn, received: p.items.size, sumNum: p.sumNum };
  }

  /** Ends every aggregation idle for longer than gapTimeoutMs, incomplete, with what arrived. */
  expire(now: number): AggregateResult<T>[] {
    const out: AggregateResult<T>[] = [];
    for (const [key, p] of this.open) {
      if (now - p.lastActivity > this.gapTimeoutMs) out.push(this.end(key, p, false));
    }
    // Forget ended keys once late duplicates can no longer be expected.
    for (const [key, at] of this.ended) {
      if (now - at <= this.gapTimeoutMs * 2) break;
      this.ended.delete(key);
    }
    return out;
  }

  /** When the earliest open aggregation will be due for `expire`, or null if none is open. */
  nextDeadline(): number | null {
    let min: number | null = null;
    for (const p of this.open.values()) {
      const d = p.lastActivity + this.gapTimeoutMs + 1;
      if (min === null || d < min) min = d;
    }
    return min;
  }

  /** Drops an aggregation without a result. Returns whether one was open. */
  cancel(deviceId: string, sn: number): boolean {
    return this.open.delete(aggKey(deviceId, sn));
  }

  private end(key: string, p: Pending<T>, complete: boolean): AggregateResult<T> {
    this.open.delete(key);
    this.ended.delete(key);
    this.ended.set(key, p.lastActivity);
    if (this.ended.size > MAX_RECENTLY_ENDED) this.ended.delete(this.ended.keys().next().value!);
    return {
      deviceId: p.deviceId,
      sn: p.sn,
      sumNum: p.sumNum < 0 ? p.items.size : p.sumNum,
      items: [...p.items.values()],
      complete,
    };
  }
}

function aggKey(deviceId: string, sn: number): string {
  return `${deviceId}\u0000${sn}`;
}

export type CatalogResult = AggregateResult<CatalogItem>;
export type CatalogAggregateEvent = AggregateEvent<CatalogItem>;

/** Catalog responses and notifies, de-duplicated by item DeviceID. */
export class CatalogAggregator extends ListAggregator<CatalogItem> {
  constructor(opts?: AggregatorOptions) {
    super((item) => item.deviceId, opts);
  }
}

export type RecordInfoResult = AggregateResult<RecordItem>;
export type RecordInfoAggregateEvent = AggregateEvent<RecordItem>;

/** RecordInfo responses, de-duplicated by (channel, start, end, file path). */
export class RecordInfoAggregator extends ListAggregator<RecordItem> {
  constructor(opts?: AggregatorOptions) {
    super((r) => `${r.deviceId}|${r.startTime}|${r.endTime}|${r.filePath ?? ''}`, opts);
  }
}
