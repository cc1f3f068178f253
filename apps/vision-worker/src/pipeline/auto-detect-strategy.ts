import type { DetectorChoice, Roi } from '../contracts';
import type { RgbFrame } from '../frames/rgb-frame';
import { isVehicle } from '../model/classes';
import { rmsContrast } from '../model/contrast';
import { boxArea, type Detection } from '../model/detection';
import { DEFAULT_NMS_IOU, mergeVehicleDuplicates, nms } from '../model/nms';
import type { CropRect } from '../model/preprocess';
import { gridRects } from '../model/tiling';
import { COUNT_KNOTS } from '../scoring/congestion-scorer';
import { pointInPolygon } from '../scoring/polygon';
import type { DetectContext, DetectStrategy } from './detect-strategy';
import { coversFrame, passCount, roiRegion, runPasses, wholeFrame, type PassPlan } from './detect-passes';
import { NANO_TRACKER_OPTIONS, type FrameDetector } from './frame-pipeline';
import { STILL_HYSTERESIS, stillDetections } from './still-hysteresis';

/**
 * Per-channel automatic choice of detector passes (docs/decisions/congestion-detector-choice.md).
 *
 * Every frame gets the plain whole-frame pass; from it the strategy measures the scene: the median vehicle
 * box size (√area over the frame width) and the RMS contrast of the luma inside the ROIs. A scene that looks
 * distant (small vehicles, or none found) or hazy/dark (low contrast) is *probed* now and then: on one frame
 * the candidate extra passes (the ROIs' bounding box letterboxed on its own, 2×2 or 3×3 tiles over it, a
 * CLAHE pass) are run and each is scored by what the scorer would count, the vehicles confirmed by the
 * hysteresis of still-hysteresis.ts with their centre in a ROI. A candidate is kept only when it pays:
 * materially more confirmed vehicles than the single pass; the cheapest of the best is taken. The choice is
 * re-decided at every probe, and at once when the vehicles grow (a camera that zooms in drops back to one
 * pass). The probe's own cost is bounded by spacing probes `probeEverySeconds` apart.
 */
export interface AutoDetectOptions {
  /** Median vehicle size (√area / frame width) below which a scene is distant and probed. */
  distantVehicleSize: number;
  /** RMS contrast of the luma (0–0.5) below which a scene is hazy or dark and a CLAHE pass is probed. */
  lowContrast: number;
  /** Seconds between probes of a distant or hazy scene (re-decision). */
  probeEverySeconds: number;
  /** Frames seen before the first probe (the vehicle size needs a few boxes). */
  firstProbeAfterFrames: number;
  /** A candidate pays when it confirms at least this many more vehicles than the single pass… */
  minExtraVehicles: number;
  /** …and at least this share more. */
  minGainShare: number;
  /** Candidates within this share of the best count are as good; the cheapest of them is chosen. */
  nearBestShare: number;
  /** Most detector passes a choice may cost per frame (3×3 tiles, plain and mirrored, + the whole frame = 20). */
  maxPasses: number;
  /** Frames whose vehicle sizes are averaged (exponential weight 1/n). */
  sizeFrames: number;
  /**
   * Confirmed vehicles per ROI at which the single pass is enough: the scorer's count belief is full there
   * (COUNT_KNOTS), so more vehicles found by extra passes cannot raise its reading much.
   */
  enoughVehicles: number;
}

export const AUTO_DETECT_DEFAULTS: Readonly<AutoDetectOptions> = {
  distantVehicleSize: 0.055,
  lowContrast: 0.12,
  probeEverySeconds: 60,
  firstProbeAfterFrames: 1,
  minExtraVehicles: 3,
  minGainShare: 0.25,
  nearBestShare: 0.1,
  maxPasses: 20,
  sizeFrames: 5,
  enoughVehicles: COUNT_KNOTS.x[COUNT_KNOTS.x.length - 1],
};

/** Groups of extra passes a candidate is made of (each group is run once per probe, candidates share them). */
type PassGroup = 'zoom' | 'mirror' | 't2' | 'mirrorT2' | 't3' | 'mirrorT3' | 'clahe' | 'claheT2';

function groupPlan(g: PassGroup, frame: RgbFrame, region: CropRect): PassPlan {
  switch (g) {
    case 'zoom':
      return { plain: [region], enhanced: [] };
    case 'mirror':
      return { plain: [], enhanced: [], mirrored: [wholeFrame(frame)] };
    case 't2':
      return { plain: gridRects(region, 2), enhanced: [] };
    case 'mirrorT2':
      return { plain: [], enhanced: [], mirrored: gridRects(region, 2) };
    case 't3':
      return { plain: gridRects(region, 3), enhanced: [] };
    case 'mirrorT3':
      return { plain: [], enhanced: [], mirrored: gridRects(region, 3) };
    case 'clahe':
      return { plain: [], enhanced: [wholeFrame(frame)] };
    case 'claheT2':
      return { plain: [], enhanced: gridRects(region, 2) };
  }
}

function joinPlans(plans: readonly PassPlan[]): PassPlan {
  return { plain: plans.flatMap((p) => p.plain), enhanced: plans.flatMap((p) => p.enhanced), mirrored: plans.flatMap((p) => p.mirrored ?? []) };
}

/** A candidate choice: the groups of passes run beside the plain whole-frame pass. */
interface Option {
  tiles: 1 | 2 | 3;
  region: 'frame' | 'rois';
  enhance: 'none' | 'clahe';
  name: string;
  groups: readonly PassGroup[];
}

const ONE_PASS: Option = { tiles: 1, region: 'frame', enhance: 'none', name: 'one pass', groups: [] };

/** Letterbox scale gained by running `region` on its own instead of the whole frame (≥ 1). */
function zoomOf(region: CropRect, frame: { width: number; height: number }): number {
  return Math.min(frame.width / region.width, frame.height / region.height);
}

/** Smallest zoom for the ROIs' box alone to count as a larger input. */
const MIN_ROI_ZOOM = 1.3;

/**
 * The candidates, cheapest first: for a distant scene larger inputs (the ROIs alone, tiles, a mirrored pass);
 * for a hazy or dark one CLAHE passes.
 */
function candidates(frame: RgbFrame, region: CropRect, rois: boolean, distant: boolean, hazy: boolean): Option[] {
  const partial = !coversFrame(region, frame.width, frame.height);
  const r: 'frame' | 'rois' = rois || partial ? 'rois' : 'frame';
  const over = rois ? 'the ROIs' : partial ? 'the traffic seen' : 'the frame';
  const list: Option[] = [];
  if (!distant) {
    if (hazy) list.push({ tiles: 1, region: 'frame', enhance: 'clahe', name: 'a CLAHE pass', groups: ['clahe'] });
    return list;
  }
  if (rois && zoomOf(region, frame) >= MIN_ROI_ZOOM) list.push({ tiles: 1, region: 'rois', enhance: 'none', name: 'the ROIs as a larger input', groups: ['zoom'] });
  list.push({ tiles: 1, region: 'frame', enhance: 'none', name: 'a mirrored pass', groups: ['mirror'] });
  if (hazy) list.push({ tiles: 1, region: 'frame', enhance: 'clahe', name: 'a CLAHE pass', groups: ['clahe'] });
  list.push({ tiles: 2, region: r, enhance: 'none', name: `2×2 tiles over ${over}`, groups: ['t2'] });
  if (hazy) list.push({ tiles: 2, region: r, enhance: 'clahe', name: `2×2 CLAHE tiles over ${over}`, groups: ['claheT2'] });
  list.push({ tiles: 2, region: r, enhance: 'none', name: `2×2 tiles over ${over} and a mirrored pass`, groups: ['t2', 'mirror'] });
  list.push({ tiles: 2, region: r, enhance: 'none', name: `2×2 tiles over ${over}, plain and mirrored`, groups: ['t2', 'mirror', 'mirrorT2'] });
  list.push({ tiles: 3, region: r, enhance: 'none', name: `3×3 tiles over ${over}`, groups: ['t3'] });
  list.push({ tiles: 3, region: r, enhance: 'none', name: `3×3 tiles over ${over} and a mirrored pass`, groups: ['t3', 'mirror'] });
  list.push({ tiles: 3, region: r, enhance: 'none', name: `3×3 tiles over ${over}, plain and mirrored`, groups: ['t3', 'mirror', 'mirrorT3'] });
  return list;
}

/**
 * Vehicles the live pipeline would count on one frame (FramePipeline.processVideoFrame): chained to strong boxes by
 * the hysteresis or above the tracker's low score, centre inside a ROI.
 */
export function confirmedVehicles(dets: readonly Detection[], rois: readonly Roi[], width: number, height: number): Detection[] {
  const merged = mergeVehicleDuplicates(dets.filter((d) => isVehicle(d.label) && boxArea(d) > 0), (d) => isVehicle(d.label));
  const chained = new Set(stillDetections(merged, STILL_HYSTERESIS));
  const kept = merged.filter((d) => chained.has(d) || d.score >= NANO_TRACKER_OPTIONS.lowScore!);
  if (rois.length === 0) return kept;
  return kept.filter((d) => {
    const cx = (d.x1 + d.x2) / 2 / width;
    const cy = (d.y1 + d.y2) / 2 / height;
    return rois.some((r) => pointInPolygon(cx, cy, r.polygon));
  });
}

/** Margin around the traffic the plain pass saw, as a share of the frame's sides. */
export const TRAFFIC_REGION_MARGIN = 0.1;

/** Boxes lying wholly in this top share of the frame are left out of the traffic region (captions and logos live there). */
export const TRAFFIC_REGION_TOP_BAND = 0.12;

/**
 * The bounding box of the vehicles the plain pass confirms (as the scorer would: strong boxes and the weak ones
 * chained to them), leaving out boxes wholly in the top TRAFFIC_REGION_TOP_BAND, widened by TRAFFIC_REGION_MARGIN;
 * null (the whole frame) with fewer than 2 of them or when it covers nearly the whole frame anyway.
 */
export function trafficRegion(dets: readonly Detection[], frame: { width: number; height: number }): CropRect | null {
  const strong = confirmedVehicles(dets.filter((d) => [d.x1, d.y1, d.x2, d.y2].every(Number.isFinite)), [], frame.width, frame.height).filter((d) => d.y2 > TRAFFIC_REGION_TOP_BAND * frame.height);
  if (strong.length < 2) return null;
  const mx = TRAFFIC_REGION_MARGIN * frame.width;
  const my = TRAFFIC_REGION_MARGIN * frame.height;
  const x = Math.max(0, Math.floor(Math.min(...strong.map((d) => d.x1)) - mx));
  const y = Math.max(0, Math.floor(Math.min(...strong.map((d) => d.y1)) - my));
  const x2 = Math.min(frame.width, Math.ceil(Math.max(...strong.map((d) => d.x2)) + mx));
  const y2 = Math.min(frame.height, Math.ceil(Math.max(...strong.map((d) => d.y2)) + my));
  const r = { x, y, width: x2 - x, height: y2 - y };
  return r.width < 8 || r.height < 8 || coversFrame(r, frame.width, frame.height) ? null : r;
}

/** Median √area of the vehicle boxes as a share of the frame width; null without one. */
export function medianVehicleSize(dets: readonly Detection[], width: number): number | null {
  const sizes = dets.filter((d) => isVehicle(d.label) && d.score >= STILL_HYSTERESIS.seedScore).map((d) => Math.sqrt(boxArea(d)) / width).filter(Number.isFinite).sort((a, b) => a - b);
  if (sizes.length === 0) return null;
  const m = sizes.length >> 1;
  return sizes.length % 2 ? sizes[m] : (sizes[m - 1] + sizes[m]) / 2;
}

const r3 = (v: number): number => Math.round(v * 1000) / 1000;

export class AutoDetectStrategy implements DetectStrategy {
  readonly options: Readonly<AutoDetectOptions>;
  private current: Option = ONE_PASS;
  private currentPasses = 1;
  private reason = 'auto: one pass (nothing measured yet)';
  private contrast: number | null = null;
  private vehicleSize: number | null = null;
  private frames = 0;
  private nextProbeAt = -Infinity;
  private frameKey = '';

  constructor(options: Partial<AutoDetectOptions> = {}) {
    this.options = { ...AUTO_DETECT_DEFAULTS, ...options };
  }

  async detect(detector: FrameDetector, frame: RgbFrame, ctx: DetectContext): Promise<Detection[]> {
    const key = `${frame.width}x${frame.height}`;
    if (key !== this.frameKey) {
      // A new picture size is a new scene: forget the sizes learned on the old one.
      if (this.frameKey !== '') this.reset();
      this.frameKey = key;
    }
    const o = this.options;
    const t = Number.isFinite(ctx.t) ? ctx.t : 0;
    const rois = ctx.rois ?? [];
    const fullRegion = roiRegion(rois, frame.width, frame.height);
    const hasRois = !coversFrame(fullRegion, frame.width, frame.height);
    const base = await runPasses(detector, frame, { plain: [wholeFrame(frame)], enhanced: [] }, ctx.scoreThreshold);
    // A still without ROIs: the tiles go over the traffic the plain pass saw (its confirmed vehicles, with a margin),
    // not over the sky, the verges and the captions (on 000013: 16 vehicles and severe 80 in 10 passes instead of 11
    // and moderate 55 in 20, the captions masked). Video keeps the whole frame: there a queue that the single pass
    // does not see yet must still be tiled (000013 looped: heavy 65 over the frame, moderate 50 over the traffic).
    if (!hasRois && ctx.still && t >= this.nextProbeAt) this.trafficRegion = trafficRegion(base, frame);
    const region = hasRois ? fullRegion : (this.trafficRegion ?? wholeFrame(frame));
    this.frames++;
    this.measure(frame, region, base);
    const distant = this.vehicleSize === null || this.vehicleSize < o.distantVehicleSize;
    const hazy = this.contrast !== null && this.contrast < o.lowContrast;
    const scene = `vehicles ${this.vehicleSize === null ? 'none seen' : `${r3(this.vehicleSize)} of the width`}, contrast ${r3(this.contrast ?? 0)}`;

    if (!distant && !hazy) {
      this.set(ONE_PASS, 1, `auto: one pass: ${scene} (near: vehicles ≥ ${o.distantVehicleSize}, contrast ≥ ${o.lowContrast})`);
      return base;
    }
    if (this.frames > o.firstProbeAfterFrames - 1 && t >= this.nextProbeAt) {
      this.nextProbeAt = t + o.probeEverySeconds;
      return this.probe(detector, frame, ctx, rois, region, hasRois, distant, hazy, base, scene, t);
    }
    if (this.current === ONE_PASS) return base;
    const plan = joinPlans(this.current.groups.map((g) => groupPlan(g, frame, region)));
    const extra = await runPasses(detector, frame, plan, ctx.scoreThreshold);
    return nms([...base, ...extra], DEFAULT_NMS_IOU);
  }

  choice(): DetectorChoice {
    const c = this.current;
    return { tiles: c.tiles, region: c.region, enhance: c.enhance, passes: this.currentPasses, reason: this.reason, contrast: this.contrast === null ? null : r3(this.contrast), vehicleSize: this.vehicleSize === null ? null : r3(this.vehicleSize) };
  }

  reset(): void {
    this.trafficRegion = null;
    this.current = ONE_PASS;
    this.currentPasses = 1;
    this.reason = 'auto: one pass (nothing measured yet)';
    this.contrast = null;
    this.vehicleSize = null;
    this.frames = 0;
    this.nextProbeAt = -Infinity;
    this.frameKey = '';
  }

  /** Without ROIs: where the plain pass saw traffic at the last probe (null: the whole frame). */
  private trafficRegion: CropRect | null = null;

  private measure(frame: RgbFrame, region: CropRect, base: readonly Detection[]): void {
    this.contrast = rmsContrast(frame, region);
    const size = medianVehicleSize(base, frame.width);
    if (size === null) return;
    const w = 1 / Math.max(1, this.options.sizeFrames);
    this.vehicleSize = this.vehicleSize === null ? size : this.vehicleSize + w * (size - this.vehicleSize);
  }

  /** Runs every affordable candidate on this frame, keeps the one that pays (or one pass), returns its boxes. */
  private async probe(
    detector: FrameDetector,
    frame: RgbFrame,
    ctx: DetectContext,
    rois: readonly Roi[],
    region: CropRect,
    hasRois: boolean,
    distant: boolean,
    hazy: boolean,
    base: Detection[],
    scene: string,
    t: number,
  ): Promise<Detection[]> {
    const o = this.options;
    const count = (d: readonly Detection[]): number => confirmedVehicles(d, rois, frame.width, frame.height).length;
    const single = count(base);
    const fewest = rois.length === 0 ? single : Math.min(...rois.map((r) => confirmedVehicles(base, [r], frame.width, frame.height).length));
    if (fewest >= o.enoughVehicles) {
      this.set(ONE_PASS, 1, `auto at ${Math.round(t)} s: ${scene}; one pass confirms ${fewest} vehicles${rois.length > 0 ? ' in every ROI' : ''} (≥ ${o.enoughVehicles}, the scorer's full count): one pass`);
      return base;
    }
    const need = Math.max(single + o.minExtraVehicles, Math.ceil(single * (1 + o.minGainShare)));
    const options = candidates(frame, region, hasRois, distant, hazy);
    const plans = new Map<PassGroup, PassPlan>();
    for (const option of options) for (const g of option.groups) if (!plans.has(g)) plans.set(g, groupPlan(g, frame, region));
    const passesOf = (option: Option): number => 1 + option.groups.reduce((n, g) => n + passCount(plans.get(g)!), 0);
    const affordable = options.filter((c) => passesOf(c) <= o.maxPasses);
    // Each group of passes runs once; the candidates are unions of groups.
    const found = new Map<PassGroup, Detection[]>();
    for (const option of affordable) {
      for (const g of option.groups) if (!found.has(g)) found.set(g, await runPasses(detector, frame, plans.get(g)!, ctx.scoreThreshold));
    }
    const tried = affordable.map((option) => {
      const dets = nms([...base, ...option.groups.flatMap((g) => found.get(g)!)], DEFAULT_NMS_IOU);
      return { option, passes: passesOf(option), n: count(dets), dets };
    });
    const figures = tried.map((c) => `${c.option.name} ${c.n} (${c.passes} passes)`).join(', ');
    const paying = tried.filter((c) => c.n >= need);
    const head = `auto at ${Math.round(t)} s: ${scene}; confirmed vehicles${hasRois ? ' in the ROIs' : ''}: one pass ${single}, ${figures}`;
    if (paying.length === 0) {
      this.set(ONE_PASS, 1, `${head}; none ≥ ${need}: one pass`);
      return base;
    }
    const best = Math.max(...paying.map((c) => c.n));
    const pick = paying.filter((c) => c.n >= best * (1 - o.nearBestShare)).sort((a, b) => a.passes - b.passes || b.n - a.n)[0];
    this.set(pick.option, pick.passes, `${head}; ${pick.option.name} pays (≥ ${need}): ${pick.passes} passes`);
    return pick.dets;
  }

  private set(option: Option, passes: number, reason: string): void {
    this.current = option;
    this.currentPasses = passes;
    this.reason = reason;
  }
}
