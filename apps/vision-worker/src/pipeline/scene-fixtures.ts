import { intersectionArea as intersection, iou, type Box } from '../model/detection';
import type { GreyThumb } from './pixel-motion';
import { queueMembers } from './queue-chain';

/**
 * Scene fixtures: detections that are part of the scene, not traffic — an overhead road sign, a gantry, a
 * billboard, a logo painted on a wall, a parked trailer. The detector boxes them as buses and trucks, and as
 * they never move the scorer would take each for a stopped vehicle, the strongest sign of a jam.
 *
 * A fixture is learned per channel, from the frames alone: a vehicle box that stays put (IoU ≥ `matchIou` with
 * where it was first seen) while the picture inside it does not change against that first look (mean absolute
 * grey difference under `changeMad` on the pipeline's grey thumbnails) for `learnSeconds`. Anything that changes
 * the inside of the box (a car leaving, the next car of a creeping queue taking its place) starts the clock
 * again, so a queue that creeps stays counted. A fixture stays while its pixels stay, detected or not.
 * A box chained to other boxes that have stood unchanged too (queue-chain.ts: a queue standing completely still,
 * an accident) is not promoted. A fixture whose inside later changes (the trailer drove off) is
 * forgotten. A scene change (most of the picture changes at once: the camera turned, zoomed or went to a
 * preset) forgets everything, as does `reset()` (the gateway sends one on PTZ commands and preset calls).
 *
 * Pure: no timers, times come in as seconds.
 */
export interface SceneFixtureOptions {
  /** Seconds a box must stay put and unchanged before it is a fixture. */
  learnSeconds: number;
  /** Mean absolute grey difference (0–255) inside the box above which it changed. */
  changeMad: number;
  /** IoU with a candidate's first box for a detection to be the same object. */
  matchIou: number;
  /** A candidate not detected for this long is dropped (a fixture stays while its pixels stay). */
  maxUnseenSeconds: number;
  /** Share of a box's width/height trimmed at each side before comparing pixels. */
  inset: number;
  /** Scene change: a grey difference above this (0–255)… */
  sceneChangeDelta: number;
  /** …on this share of the thumbnail's pixels between two frames. */
  sceneChangeShare: number;
}

export const SCENE_FIXTURES: Readonly<SceneFixtureOptions> = {
  learnSeconds: 120,
  changeMad: 12,
  matchIou: 0.5,
  maxUnseenSeconds: 300,
  inset: 0.15,
  sceneChangeDelta: 40,
  sceneChangeShare: 0.5,
};

/** A detection lying this much (share of its area) on learned fixtures is one of them. */
export const FIXTURE_COVER_SHARE = 0.6;

/** Most boxes of one frame checked for queue chains (the check is quadratic). */
export const MAX_QUEUE_CHECK = 400;

/** Most candidates held per channel (oldest unseen dropped first). */
export const MAX_FIXTURE_CANDIDATES = 256;
/** Most fixtures per channel: a scene with more static "vehicles" than this is a car park or a standing queue. */
export const MAX_FIXTURES = 16;

interface Candidate {
  box: Box;
  /** When the box was first seen with its current inside, seconds. */
  since: number;
  lastSeen: number;
  /** The grey pixels inside the box at `since` (thumbnail coordinates `rect`). */
  patch: Uint8Array;
  rect: ThumbRect;
  fixture: boolean;
}

interface ThumbRect {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export class SceneFixtures {
  private readonly opts: SceneFixtureOptions;
  private candidates: Candidate[] = [];
  private previous: GreyThumb | null = null;
  /** Scene changes seen since the start (for tests and the API's reason). */
  sceneChanges = 0;

  constructor(opts: Partial<SceneFixtureOptions> = {}) {
    this.opts = { ...SCENE_FIXTURES, ...opts };
  }

  /**
   * Learns from one frame: its grey thumbnail and the vehicle boxes the detector found (frame pixels).
   * Call before `isFixture` for the same frame.
   */
  update(thumb: GreyThumb, t: number, vehicles: readonly Box[]): void {
    if (this.previous && this.sceneChanged(this.previous, thumb)) {
      this.candidates = [];
      this.sceneChanges++;
    }
    if (this.previous && (this.previous.width !== thumb.width || this.previous.height !== thumb.height)) this.candidates = [];
    this.previous = thumb;
    const o = this.opts;
    const matched = new Set<Candidate>();
    for (const v of vehicles) {
      if (!validBox(v)) continue;
      const rect = thumbRect(v, thumb, o.inset);
      if (!rect) continue;
      let best: Candidate | null = null;
      let bestIou = o.matchIou;
      for (const c of this.candidates) {
        const overlap = iou(c.box, v);
        if (overlap >= bestIou && !matched.has(c)) {
          best = c;
          bestIou = overlap;
        }
      }
      if (best) {
        matched.add(best);
        best.lastSeen = t;
        continue;
      }
      if (this.isFixture(v)) continue; // another split of a learned sign or logo
      if (this.candidates.length >= MAX_FIXTURE_CANDIDATES) this.dropStalest();
      const c: Candidate = { box: { x1: v.x1, y1: v.y1, x2: v.x2, y2: v.y2 }, since: t, lastSeen: t, rect, patch: cut(thumb, rect), fixture: false };
      this.candidates.push(c);
      matched.add(c);
    }
    const kept: Candidate[] = [];
    for (const c of this.candidates) {
      const mad = difference(thumb, c.rect, c.patch);
      if (mad === null || (!c.fixture && t - c.lastSeen > o.maxUnseenSeconds)) continue;
      if (mad >= o.changeMad) {
        // Something else is there now: a fixture is gone; a candidate seen this frame starts again.
        if (c.fixture || !matched.has(c)) continue;
        c.since = t;
        c.patch = cut(thumb, c.rect);
      }
      kept.push(c);
    }
    this.candidates = kept;
    let fixtures = kept.filter((c) => c.fixture).length;
    let queued: Set<Candidate> | null = null;
    for (const c of kept) {
      if (c.fixture || fixtures >= MAX_FIXTURES || t - c.since < o.learnSeconds || !matched.has(c)) continue;
      // The queue guard chains only boxes that have stood unchanged for half the learning time themselves: a
      // standing queue is such a chain; a caption with traffic passing beside it is not.
      queued ??= this.queued(kept.filter((k) => matched.has(k) && t - k.since >= o.learnSeconds / 2));
      if (queued.has(c)) continue;
      c.fixture = true;
      fixtures++;
    }
  }

  /**
   * Whether a detection (frame pixels) is a learned fixture: the same box (IoU ≥ `matchIou`), or a box lying mostly
   * (FIXTURE_COVER_SHARE of its area) on fixtures — the detector splits a sign or a logo differently from frame to frame.
   */
  isFixture(box: Box): boolean {
    if (!validBox(box)) return false;
    let covered = 0;
    for (const c of this.candidates) {
      if (!c.fixture) continue;
      if (iou(c.box, box) >= this.opts.matchIou) return true;
      covered += intersection(c.box, box);
    }
    return covered >= FIXTURE_COVER_SHARE * (box.x2 - box.x1) * (box.y2 - box.y1);
  }

  /** The learned fixtures, frame pixels. */
  fixtures(): Box[] {
    return this.candidates.filter((c) => c.fixture).map((c) => ({ ...c.box }));
  }

  /** Candidates held now (bounded by MAX_FIXTURE_CANDIDATES). */
  get candidateCount(): number {
    return this.candidates.length;
  }

  /** Forget everything (new source, PTZ move, preset call). */
  reset(): void {
    this.candidates = [];
    this.previous = null;
  }

  /** The candidates that lie in a queue chain of each other (queue-chain.ts): a standing queue is never a fixture. */
  private queued(mature: readonly Candidate[]): Set<Candidate> {
    const list = mature.slice(0, MAX_QUEUE_CHECK);
    const member = queueMembers(list.map((c) => c.box));
    return new Set(list.filter((_, i) => member[i]));
  }

  private sceneChanged(a: GreyThumb, b: GreyThumb): boolean {
    if (a.width !== b.width || a.height !== b.height) return false;
    let changed = 0;
    const n = a.grey.length;
    for (let i = 0; i < n; i++) if (Math.abs(a.grey[i] - b.grey[i]) > this.opts.sceneChangeDelta) changed++;
    return changed >= this.opts.sceneChangeShare * n;
  }

  private dropStalest(): void {
    let worst = -1;
    for (let i = 0; i < this.candidates.length; i++) {
      const c = this.candidates[i];
      if (c.fixture) continue;
      if (worst < 0 || c.lastSeen < this.candidates[worst].lastSeen) worst = i;
    }
    if (worst >= 0) this.candidates.splice(worst, 1);
    else this.candidates.shift();
  }
}

function validBox(b: Box): boolean {
  return [b.x1, b.y1, b.x2, b.y2].every(Number.isFinite) && b.x2 > b.x1 && b.y2 > b.y1;
}


function boxSize(b: Box): number {
  return Math.sqrt(Math.max(1, (b.x2 - b.x1) * (b.y2 - b.y1)));
}

/** The inner part of a frame box in thumbnail pixels; null when nothing is left. */
function thumbRect(b: Box, thumb: GreyThumb, inset: number): ThumbRect | null {
  const sx = thumb.width / thumb.frameWidth;
  const sy = thumb.height / thumb.frameHeight;
  const w = b.x2 - b.x1;
  const h = b.y2 - b.y1;
  const x1 = Math.max(0, Math.floor((b.x1 + w * inset) * sx));
  const x2 = Math.min(thumb.width, Math.ceil((b.x2 - w * inset) * sx));
  const y1 = Math.max(0, Math.floor((b.y1 + h * inset) * sy));
  const y2 = Math.min(thumb.height, Math.ceil((b.y2 - h * inset) * sy));
  return x2 > x1 && y2 > y1 ? { x1, y1, x2, y2 } : null;
}

function cut(thumb: GreyThumb, r: ThumbRect): Uint8Array {
  const w = r.x2 - r.x1;
  const out = new Uint8Array(w * (r.y2 - r.y1));
  for (let y = r.y1; y < r.y2; y++) out.set(thumb.grey.subarray(y * thumb.width + r.x1, y * thumb.width + r.x2), (y - r.y1) * w);
  return out;
}

/** Mean absolute grey difference between the thumbnail inside `r` and `patch`; null when the sizes disagree. */
function difference(thumb: GreyThumb, r: ThumbRect, patch: Uint8Array): number | null {
  const w = r.x2 - r.x1;
  if (r.x2 > thumb.width || r.y2 > thumb.height || patch.length !== w * (r.y2 - r.y1)) return null;
  let sum = 0;
  for (let y = r.y1; y < r.y2; y++) {
    const row = y * thumb.width;
    const prow = (y - r.y1) * w;
    for (let x = r.x1; x < r.x2; x++) sum += Math.abs(thumb.grey[row + x] - patch[prow + x - r.x1]);
  }
  return sum / patch.length;
}
