import { readFile } from 'node:fs/promises';
import type { Roi } from '../contracts';
import { VisionError } from '../vision-error';

/** Most ROIs one file may define, and most points one polygon may have. */
export const MAX_ROIS = 64;
export const MAX_POLYGON_POINTS = 256;

/** Validates `[{"id": "left", "polygon": [[x, y], ...], "calibration"?: {...}}]`, coordinates normalised 0–1. */
export function parseRois(json: unknown): Roi[] {
  const fail = (why: string): never => {
    throw new VisionError('VISION_ROI_INVALID', `ROI file: ${why}`);
  };
  if (!Array.isArray(json) || json.length === 0) fail('expected a non-empty array of {id, polygon}');
  const list = json as unknown[];
  if (list.length > MAX_ROIS) fail(`at most ${MAX_ROIS} ROIs`);
  const ids = new Set<string>();
  return list.map((item, i) => {
    const o = item as { id?: unknown; polygon?: unknown; calibration?: unknown };
    if (typeof o !== 'object' || o === null) return fail(`entry ${i} is not an object`);
    if (typeof o.id !== 'string' || o.id.length === 0 || o.id.length > 64) return fail(`entry ${i}: id must be a string of 1–64 characters`);
    if (ids.has(o.id)) return fail(`duplicate id "${o.id}"`);
    ids.add(o.id);
    const poly = o.polygon;
    if (!Array.isArray(poly) || poly.length < 3 || poly.length > MAX_POLYGON_POINTS) return fail(`"${o.id}": polygon needs 3–${MAX_POLYGON_POINTS} points`);
    for (const p of poly as unknown[]) {
      if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => typeof v === 'number' && v >= 0 && v <= 1)) {
        return fail(`"${o.id}": each point is [x, y] with 0 ≤ x, y ≤ 1`);
      }
    }
    const roi: Roi = { id: o.id, polygon: poly as Roi['polygon'] };
    if (o.calibration !== undefined) {
      const c = o.calibration as Record<string, unknown>;
      if (typeof c !== 'object' || c === null) return fail(`"${o.id}": calibration must be an object`);
      for (const k of ['metresPerPixel', 'roadLengthMetres', 'speedLimitKmh', 'areaSquareMetres']) {
        if (c[k] !== undefined && !(typeof c[k] === 'number' && (c[k] as number) > 0)) fail(`"${o.id}": calibration.${k} must be a positive number`);
      }
      roi.calibration = c as Roi['calibration'];
    }
    return roi;
  });
}

export async function readRoiFile(path: string): Promise<Roi[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new VisionError('VISION_ROI_INVALID', `cannot read ROI file ${path}`, { cause });
  }
  try {
    return parseRois(JSON.parse(text));
  } catch (e) {
    if (e instanceof VisionError) throw e;
    throw new VisionError('VISION_ROI_INVALID', `ROI file ${path} is not JSON: ${(e as Error).message}`, { cause: e });
  }
}
