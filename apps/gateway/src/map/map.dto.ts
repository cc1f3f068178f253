import { z } from 'zod';
import { channelIdSchema } from '../api/devices.dto';
import { MAX_PLAN_DIMENSION } from './plan-image';

export { channelIdSchema };

/** Longest tile URL template accepted. */
export const MAX_TILE_URL_CHARS = 2048;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const pixel = finite.refine((v) => v >= 0 && v <= MAX_PLAN_DIMENSION, `must be 0–${MAX_PLAN_DIMENSION}`);
const lon = finite.refine((v) => v >= -180 && v <= 180, 'longitude must be -180–180');
// Web Mercator ends at ±85.0511°.
const lat = finite.refine((v) => v >= -85.05 && v <= 85.05, 'latitude must be -85.05–85.05');

export const referencePointSchema = z.object({ px: z.tuple([pixel, pixel]), lonlat: z.tuple([lon, lat]) }).strict();

export const tileUrlSchema = z
  .string()
  .max(MAX_TILE_URL_CHARS)
  .refine((s) => /^https?:\/\//i.test(s) && s.includes('{z}') && s.includes('{x}') && s.includes('{y}'), 'must be an http(s) URL template with {z}, {x} and {y}')
  .refine((s) => {
    try {
      new URL(s.replace(/\{[xyz]\}/g, '0'));
      return true;
    } catch {
      return false;
    }
  }, 'must be a valid URL');

export const mapSettingsSchema = z
  .object({
    plan: z.object({ ref: z.tuple([referencePointSchema, referencePointSchema]) }).strict().nullable(),
    tileUrl: tileUrlSchema.nullable(),
  })
  .strict();
export type MapSettingsBody = z.output<typeof mapSettingsSchema>;

/** A manual position: plan image pixels, origin top-left, y down. */
export const mapPositionSchema = z.object({ x: pixel, y: pixel }).strict();
export type MapPositionBody = z.output<typeof mapPositionSchema>;

export const tileParamsSchema = z.object({
  z: z.coerce.number().int().min(0).max(22),
  x: z.coerce.number().int().min(0),
  y: z.coerce.number().int().min(0),
}).refine((p) => p.x < 2 ** p.z && p.y < 2 ** p.z, 'tile x and y must be below 2^z');
