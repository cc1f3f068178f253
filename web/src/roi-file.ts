import type { Roi } from '@gb/contracts';
import { t } from './i18n';

/*
 * The ROI editor's file and list rules, apart from the DOM (web/src/roi-editor.ts draws, this checks and parses):
 * a channel's ROIs and its hand-drawn exclusion zones.
 */

/** Bounds the gateway enforces (apps/gateway/src/congestion/congestion.dto.ts); checked here first to say why early. */
export const MAX_ROIS = 16;
export const MAX_ZONES = 16;
export const MAX_POINTS = 64;
const ROI_ID = /^[A-Za-z0-9_.-]{1,64}$/;

export type Point = [number, number];
export interface EditRoi {
  id: string;
  polygon: Point[];
  calibration?: Roi['calibration'];
}
export interface EditZone {
  id: string;
  polygon: Point[];
}
/** A ROI file as imported: the eval command's array (no zones) or `{rois, exclusions}`. */
export interface RoiFile {
  rois: EditRoi[];
  exclusions: EditZone[];
}

/**
 * What is wrong with a ROI list before it is sent, or null: the gateway says it too (400 VALIDATION_FAILED), but
 * naming the ROI here is kinder than a field path.
 */
export function roiProblem(rois: readonly EditRoi[], zones: readonly EditZone[] = []): string | null {
  if (rois.length > MAX_ROIS) return t('roiEditor.tooMany', { n: MAX_ROIS });
  const ids = new Set<string>();
  for (const r of rois) {
    if (!ROI_ID.test(r.id)) return t('roiEditor.badId', { id: r.id });
    if (ids.has(r.id)) return t('roiEditor.duplicateId', { id: r.id });
    ids.add(r.id);
    if (r.polygon.length < 3) return t('roiEditor.fewPoints', { id: r.id });
    if (r.polygon.length > MAX_POINTS) return t('roiEditor.manyPoints', { id: r.id, n: MAX_POINTS });
  }
  if (zones.length > MAX_ZONES) return t('roiEditor.zoneTooMany', { n: MAX_ZONES });
  const zoneIds = new Set<string>();
  for (const z of zones) {
    if (!ROI_ID.test(z.id)) return t('roiEditor.badId', { id: z.id });
    if (zoneIds.has(z.id)) return t('roiEditor.zoneDuplicateId', { id: z.id });
    zoneIds.add(z.id);
    if (z.polygon.length < 3) return t('roiEditor.zoneFewPoints', { id: z.id });
    if (z.polygon.length > MAX_POINTS) return t('roiEditor.zoneManyPoints', { id: z.id, n: MAX_POINTS });
  }
  return null;
}

/** `{id, polygon}` of one file entry with every point in 0–1, or null. */
function regionOf(item: unknown): { id: string; polygon: Point[]; calibration?: unknown } | null {
  const o = item as { id?: unknown; polygon?: unknown; calibration?: unknown } | null;
  const poly = o && typeof o === 'object' ? o.polygon : undefined;
  const ok = typeof o?.id === 'string' && Array.isArray(poly) && poly.every((p: unknown) => Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === 'number' && v >= 0 && v <= 1));
  return ok ? { id: o.id as string, polygon: (poly as Point[]).map(([x, y]) => [x, y] as Point), calibration: o.calibration } : null;
}

/**
 * A ROI file: the eval command's (apps/vision-worker/src/eval/roi-file.ts), a JSON array of {id, polygon,
 * calibration?}, or what Export writes when the channel has exclusion zones, `{rois, exclusions}` (also a valid body
 * of PUT /api/channels/:c/rois).
 */
export function parseRoiFile(text: string): RoiFile {
  const json: unknown = JSON.parse(text);
  const o = (Array.isArray(json) ? { rois: json } : json) as { rois?: unknown; exclusions?: unknown } | null;
  if (!o || typeof o !== 'object' || !Array.isArray(o.rois) || (o.exclusions !== undefined && !Array.isArray(o.exclusions))) throw new Error(t('roiEditor.notArray'));
  const rois = o.rois.map((item: unknown, i): EditRoi => {
    const r = regionOf(item);
    if (!r) throw new Error(t('roiEditor.badEntry', { n: i + 1 }));
    return { id: r.id, polygon: r.polygon, ...(r.calibration && typeof r.calibration === 'object' ? { calibration: r.calibration as Roi['calibration'] } : {}) };
  });
  const exclusions = ((o.exclusions ?? []) as unknown[]).map((item, i): EditZone => {
    const r = regionOf(item);
    if (!r) throw new Error(t('roiEditor.badZoneEntry', { n: i + 1 }));
    return { id: r.id, polygon: r.polygon };
  });
  return { rois, exclusions };
}
