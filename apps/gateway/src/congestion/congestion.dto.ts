import { z } from 'zod';
import { channelIdSchema, deviceIdSchema } from '../api/devices.dto';

/** Most ROIs per channel and points per ROI polygon. */
export const MAX_ROIS_PER_CHANNEL = 16;
export const MAX_ROI_POINTS = 64;
/** Most exclusion zones per channel; each is a polygon of 3–MAX_ROI_POINTS points, as a ROI. */
export const MAX_EXCLUSION_ZONES = 16;

export { channelIdSchema };
export const alertIdSchema = z.string().uuid('must be an alert id (UUID)');

const unit = z.number().min(0).max(1);
const regionId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (1–64)');
const polygon = z.array(z.tuple([unit, unit])).min(3).max(MAX_ROI_POINTS);
export const roiSchema = z
  .object({
    id: regionId,
    polygon,
    calibration: z
      .object({
        metresPerPixel: z.number().positive().optional(),
        roadLengthMetres: z.number().positive().optional(),
        speedLimitKmh: z.number().positive().max(200).optional(),
        areaSquareMetres: z.number().positive().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const roiListSchema = z
  .array(roiSchema)
  .max(MAX_ROIS_PER_CHANNEL)
  .refine((rois) => new Set(rois.map((r) => r.id)).size === rois.length, { message: 'ROI ids must be unique' });

/** A hand-drawn zone whose detections never count: the id and polygon rules of a ROI, no calibration. */
export const exclusionZoneSchema = z.object({ id: regionId, polygon }).strict();

const exclusionListSchema = z
  .array(exclusionZoneSchema)
  .max(MAX_EXCLUSION_ZONES)
  .refine((zones) => new Set(zones.map((x) => x.id)).size === zones.length, { message: 'exclusion zone ids must be unique' });

const putRoisObjectSchema = z.object({ deviceId: deviceIdSchema.optional(), rois: roiListSchema, exclusions: exclusionListSchema.optional() }).strict();

/**
 * The body of PUT /api/channels/:c/rois, in either shape: the eval command's ROI file as it is (a JSON array of ROIs,
 * apps/vision-worker/src/eval/roi-file.ts), or `{deviceId?, rois, exclusions?}`. An array is read as `{rois: array}`
 * before validation, so a refusal names the field in both shapes (`rois.0.polygon.1.0`), which a plain union would
 * not. `exclusions` absent (and always in the array shape) keeps the stored exclusion zones; `[]` clears them.
 */
export const putRoisSchema = z.preprocess((body) => (Array.isArray(body) ? { rois: body } : body), putRoisObjectSchema);
/** The same two shapes for the OpenAPI document (a preprocess step has no input schema of its own). */
export const putRoisDocSchema = z.union([putRoisObjectSchema, roiListSchema]);
export type PutRoisDto = z.output<typeof putRoisSchema>;

/** GET /api/channels/:c/rois query: `include=exclusions` answers `{rois, exclusions}` instead of the bare ROI array. */
export const getRoisQuerySchema = z.object({ include: z.literal('exclusions').optional() }).strict();
export type GetRoisQuery = z.output<typeof getRoisQuerySchema>;

/** Longest comment an operator may attach when acknowledging an alert. */
export const MAX_ACK_COMMENT_CHARS = 500;
export const ackSchema = z
  .object({ comment: z.string().trim().max(MAX_ACK_COMMENT_CHARS, `at most ${MAX_ACK_COMMENT_CHARS} characters`).optional() })
  .strict()
  .optional()
  .default({});
export type AckDto = z.output<typeof ackSchema>;

export const watchSchema = z.object({ deviceId: deviceIdSchema.optional() }).strict().optional().default({});
export type WatchDto = z.output<typeof watchSchema>;

const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 time').transform((s) => new Date(s));
export const historyQuerySchema = z
  .object({
    from: isoDate.optional(),
    to: isoDate.optional(),
    /** Bucket width in seconds. */
    step: z.coerce.number().int().min(1).max(86_400).default(60),
  })
  .strict()
  .transform((q) => {
    const to = q.to ?? new Date();
    const from = q.from ?? new Date(to.getTime() - 3_600_000);
    return { from, to, stepMs: q.step * 1000 };
  })
  .refine((q) => q.from.getTime() <= q.to.getTime(), { message: 'from must not be after to', path: ['from'] })
  .refine((q) => q.to.getTime() - q.from.getTime() <= 31 * 86_400_000, { message: 'at most 31 days per request', path: ['to'] });

export const alertsQuerySchema = z
  .object({
    state: z.enum(['active', 'cleared']).optional(),
    channelId: channelIdSchema.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();
