/**
 * The labelled evaluation set on disk (test/vision/eval-set, docs/congestion-eval.md):
 *   frames/<id>.json   one hand-labelled frame: source, annotated region, a dot per vehicle, a level;
 *   sequences.json     composed clips (sequences.ts recipes) with what they must produce.
 * Paths inside the files are relative to the working directory (the repository root, as `npm run` runs).
 * Anything malformed is VISION_USAGE naming the file and the field.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CONGESTION_LEVELS, type CongestionLevel, type NormalisedPoint } from '../contracts';
import { pointInPolygon } from '../scoring/polygon';
import { VisionError } from '../vision-error';
import { COMPOSE_FPS, MAX_SEQUENCE_SECONDS, sequenceDurationS, type SequenceRecipe } from './sequences';

/** Where `npm run vision:eval` with no arguments finds the suite (relative to the repository root). */
export const DEFAULT_SUITE_DIR = join('test', 'vision', 'eval-set');
/** Most frames and sequences one suite may hold (each costs seconds to score). */
export const MAX_SUITE_FRAMES = 200;
export const MAX_SUITE_SEQUENCES = 20;

export interface LabelledFrame {
  id: string;
  /** A still image, or one frame of a clip at `atS` seconds. */
  source: string | { clip: string; atS: number };
  /** The annotated region (normalised polygon): where a person can count the vehicles reliably. */
  region: NormalisedPoint[];
  /** One dot per vehicle centre inside the region (normalised). */
  vehicles: NormalisedPoint[];
  level: CongestionLevel;
  note: string;
}

/** What a sequence must produce: 'free' never warns nor alerts; 'forming' warns, then alerts. */
export type SequenceExpectation = 'free' | 'forming';

export interface SequenceEntry {
  id: string;
  note: string;
  recipe: SequenceRecipe;
  /** Frames per second scored (the live default is 1). */
  fps: number;
  expect: SequenceExpectation;
  /** ROI drawn for the sequence (default: the whole frame). */
  region?: NormalisedPoint[];
}

export interface EvalSuite {
  dir: string;
  frames: LabelledFrame[];
  mediaDir: string;
  sequences: SequenceEntry[];
}

type Fail = (why: string) => never;

function failer(file: string): Fail {
  return (why) => {
    throw new VisionError('VISION_USAGE', `eval set ${file}: ${why}`);
  };
}

function polygon(v: unknown, what: string, fail: Fail, min = 3): NormalisedPoint[] {
  if (!Array.isArray(v) || v.length < min || v.length > 256) fail(`${what} needs ${min}–256 points`);
  return (v as unknown[]).map((p, i) => {
    if (!Array.isArray(p) || p.length !== 2 || !p.every((c) => typeof c === 'number' && c >= 0 && c <= 1)) fail(`${what}.${i} must be [x, y] with 0 ≤ x, y ≤ 1`);
    return p as NormalisedPoint;
  });
}

/** Validates one labelled frame; every dot must lie inside the region (labels outside it would count nowhere). */
export function parseLabelledFrame(json: unknown, id: string, file = `${id}.json`): LabelledFrame {
  const fail = failer(file);
  const o = json as Record<string, unknown>;
  if (typeof o !== 'object' || o === null) fail('expected an object');
  let source: LabelledFrame['source'];
  if (typeof o.source === 'string' && o.source.length > 0) source = o.source;
  else {
    const s = o.source as { clip?: unknown; atS?: unknown } | null;
    if (typeof s !== 'object' || s === null || typeof s.clip !== 'string' || !(typeof s.atS === 'number' && s.atS >= 0)) {
      return fail('source must be an image path or {"clip": path, "atS": seconds ≥ 0}');
    }
    source = { clip: s.clip, atS: s.atS };
  }
  const region = polygon(o.region, 'region', fail);
  const vehicles = Array.isArray(o.vehicles) && o.vehicles.length === 0 ? [] : polygon(o.vehicles, 'vehicles', fail, 0);
  vehicles.forEach(([x, y], i) => {
    if (!pointInPolygon(x, y, region)) fail(`vehicles.${i} [${x}, ${y}] lies outside the region`);
  });
  if (!CONGESTION_LEVELS.includes(o.level as CongestionLevel)) fail(`level must be one of ${CONGESTION_LEVELS.join(', ')}`);
  return { id, source, region, vehicles, level: o.level as CongestionLevel, note: typeof o.note === 'string' ? o.note : '' };
}

function parseRecipe(v: unknown, fail: Fail): SequenceRecipe {
  const r = v as Record<string, unknown>;
  if (typeof r !== 'object' || r === null) return fail('recipe must be an object');
  const num = (k: string, min: number): number => {
    if (!(typeof r[k] === 'number' && (r[k] as number) >= min)) fail(`recipe.${k} must be a number ≥ ${min}`);
    return r[k] as number;
  };
  const str = (k: string): string => {
    if (typeof r[k] !== 'string' || (r[k] as string).length === 0) fail(`recipe.${k} must be a file name`);
    return r[k] as string;
  };
  let recipe: SequenceRecipe;
  if (r.recipe === 'clip') recipe = { recipe: 'clip', source: str('source'), durationS: num('durationS', 1) };
  else if (r.recipe === 'queue-reveal') {
    if (r.from !== 'top' && r.from !== 'bottom') fail('recipe.from must be "top" or "bottom"');
    if (r.path !== undefined && !(Array.isArray(r.path) && r.path.every((x) => typeof x === 'number'))) fail('recipe.path must be an array of numbers');
    recipe = {
      recipe: 'queue-reveal', base: str('base'), jam: str('jam'), from: r.from as 'top' | 'bottom',
      ...(r.path ? { path: r.path as number[] } : {}),
      freeS: num('freeS', 0), riseS: num('riseS', 1), holdS: num('holdS', 0),
    };
  } else return fail('recipe.recipe must be "clip" or "queue-reveal"');
  const d = sequenceDurationS(recipe);
  if (d > MAX_SEQUENCE_SECONDS) fail(`the recipe lasts ${d} s, more than ${MAX_SEQUENCE_SECONDS} s`);
  return recipe;
}

/** Validates sequences.json: `{ "mediaDir": path, "sequences": [{id, note, recipe, fps, expect, region?}] }`. */
export function parseSequencesFile(json: unknown, file = 'sequences.json'): { mediaDir: string; sequences: SequenceEntry[] } {
  const fail = failer(file);
  const o = json as { mediaDir?: unknown; sequences?: unknown };
  if (typeof o !== 'object' || o === null || typeof o.mediaDir !== 'string' || !Array.isArray(o.sequences)) fail('expected {"mediaDir": path, "sequences": [...]}');
  const list = o.sequences as unknown[];
  if (list.length > MAX_SUITE_SEQUENCES) fail(`at most ${MAX_SUITE_SEQUENCES} sequences`);
  const ids = new Set<string>();
  const sequences = list.map((item, i) => {
    const s = item as Record<string, unknown>;
    const at = (why: string): never => fail(`sequences.${i}: ${why}`);
    if (typeof s !== 'object' || s === null) return at('not an object');
    if (typeof s.id !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(s.id)) return at('id must be 1–64 of [A-Za-z0-9_.-]');
    if (ids.has(s.id)) at(`duplicate id ${s.id}`);
    ids.add(s.id);
    if (!(typeof s.fps === 'number' && s.fps > 0 && s.fps <= COMPOSE_FPS)) at(`fps must be in (0, ${COMPOSE_FPS}] (the composed clips' rate)`);
    if (s.expect !== 'free' && s.expect !== 'forming') at('expect must be "free" or "forming"');
    const entry: SequenceEntry = {
      id: s.id, note: typeof s.note === 'string' ? s.note : '', recipe: parseRecipe(s.recipe, (why) => at(why)),
      fps: s.fps as number, expect: s.expect as SequenceExpectation,
    };
    if (s.region !== undefined) entry.region = polygon(s.region, 'region', (why) => at(why));
    return entry;
  });
  return { mediaDir: o.mediaDir as string, sequences };
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new VisionError('VISION_USAGE', `eval set: cannot read ${path}`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new VisionError('VISION_USAGE', `eval set: ${path} is not JSON: ${(cause as Error).message}`, { cause });
  }
}

/** Reads and validates a suite folder (frames sorted by file name). */
export async function loadSuite(dir: string): Promise<EvalSuite> {
  let names: string[];
  try {
    names = (await readdir(join(dir, 'frames'))).filter((n) => n.endsWith('.json')).sort();
  } catch (cause) {
    throw new VisionError('VISION_USAGE', `eval set: no frames folder in ${dir}`, { cause });
  }
  if (names.length > MAX_SUITE_FRAMES) throw new VisionError('VISION_USAGE', `eval set: at most ${MAX_SUITE_FRAMES} frames, ${dir} has ${names.length}`);
  const frames: LabelledFrame[] = [];
  for (const n of names) frames.push(parseLabelledFrame(await readJson(join(dir, 'frames', n)), basename(n, '.json'), join(dir, 'frames', n)));
  const seqFile = join(dir, 'sequences.json');
  const { mediaDir, sequences } = parseSequencesFile(await readJson(seqFile), seqFile);
  return { dir, frames, mediaDir, sequences };
}
