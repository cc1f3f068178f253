import { congestionLevelOf, type CongestionHistoryPoint, type CongestionLevel, type CongestionScore } from '@gb/contracts';

/** One stored sample (a period's mean), as the repository returns it. */
export interface HistorySample {
  roiId: string;
  t: Date;
  index: number;
  maxIndex: number;
  vehicles: number;
  samples: number;
}

/** Most points one history answer holds per ROI; a smaller `step` is raised to fit. */
export const MAX_HISTORY_POINTS = 2000;

/** The step actually used: at least `stepMs`, and coarse enough for MAX_HISTORY_POINTS buckets. */
export function effectiveStep(fromMs: number, toMs: number, stepMs: number): number {
  return Math.max(stepMs, Math.ceil((toMs - fromMs) / MAX_HISTORY_POINTS / 1000) * 1000, 1000);
}

/**
 * Buckets samples by ROI into [from + k·step, from + (k+1)·step): the mean index weighted by how many
 * scores each sample stood for, the max index, the mean vehicles. Empty buckets are left out
 * (a gap in the chart is a gap in scoring). Sorted by ROI, then time.
 */
export function downsampleHistory(samples: readonly HistorySample[], fromMs: number, toMs: number, stepMs: number): CongestionHistoryPoint[] {
  const step = effectiveStep(fromMs, toMs, stepMs);
  const buckets = new Map<string, { roi: string; k: number; w: number; sum: number; max: number; veh: number }>();
  for (const s of samples) {
    const t = s.t.getTime();
    if (t < fromMs || t > toMs) continue;
    const k = Math.floor((t - fromMs) / step);
    const key = `${s.roiId}\u0000${k}`;
    const b = buckets.get(key) ?? { roi: s.roiId, k, w: 0, sum: 0, max: 0, veh: 0 };
    const w = Math.max(1, s.samples);
    b.w += w;
    b.sum += s.index * w;
    b.veh += s.vehicles * w;
    b.max = Math.max(b.max, s.maxIndex);
    buckets.set(key, b);
  }
  return [...buckets.values()]
    .sort((a, b) => (a.roi < b.roi ? -1 : a.roi > b.roi ? 1 : a.k - b.k))
    .map((b) => {
      const index = round1(b.sum / b.w);
      return { roi: b.roi, t: new Date(fromMs + b.k * step).toISOString(), index, maxIndex: round1(b.max), level: congestionLevelOf(index), vehicles: round1(b.veh / b.w), samples: b.w };
    });
}

/**
 * Folds live scores into one stored sample per channel/ROI per `periodMs` (aligned to the epoch):
 * `add()` returns the samples of periods that a newer score has closed; `flush()` returns what is open.
 */
export class SampleAccumulator {
  private readonly open = new Map<string, { channelId: string; roiId: string; start: number; n: number; sum: number; max: number; veh: number; per: number }>();

  constructor(private readonly periodMs: number) {}

  add(channelId: string, score: CongestionScore, tMs: number): SampleOut[] {
    const key = `${channelId}\u0000${score.roi}`;
    const start = tMs - (tMs % this.periodMs);
    const cur = this.open.get(key);
    const out: SampleOut[] = [];
    if (cur && cur.start !== start) {
      out.push(toSample(cur));
      this.open.delete(key);
    }
    const b = this.open.get(key) ?? { channelId, roiId: score.roi, start, n: 0, sum: 0, max: 0, veh: 0, per: 0 };
    b.n++;
    b.sum += score.index;
    b.max = Math.max(b.max, score.index);
    b.veh += score.vehicles;
    b.per += score.persons;
    this.open.set(key, b);
    return out;
  }

  /** Closes the periods of one channel (or all). */
  flush(channelId?: string): SampleOut[] {
    const out: SampleOut[] = [];
    for (const [k, b] of this.open) {
      if (channelId && b.channelId !== channelId) continue;
      out.push(toSample(b));
      this.open.delete(k);
    }
    return out;
  }
}

export interface SampleOut {
  channelId: string;
  roiId: string;
  t: Date;
  index: number;
  maxIndex: number;
  level: CongestionLevel;
  vehicles: number;
  persons: number;
  samples: number;
}

function toSample(b: { channelId: string; roiId: string; start: number; n: number; sum: number; max: number; veh: number; per: number }): SampleOut {
  const index = round1(b.sum / b.n);
  return { channelId: b.channelId, roiId: b.roiId, t: new Date(b.start), index, maxIndex: b.max, level: congestionLevelOf(index), vehicles: b.veh / b.n, persons: b.per / b.n, samples: b.n };
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
