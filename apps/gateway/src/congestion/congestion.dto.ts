import { z } from 'zod';
import { channelIdSchema, deviceIdSchema } from '../api/devices.dto';

/** Most ROIs per channel and points per ROI polygon. */
export const MAX_ROIS_PER_CHANNEL = 16;
export const MAX_ROI_POINTS = 64;

export { channelIdSchema };
export const alertIdSchema = z.string().uuid('must be an alert id (UUID)');

const unit = z.number().min(0).max(1);
export const roiSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (1–64)'),
    polygon: z.array(z.tuple([unit, unit])).min(3).max(MAX_ROI_POINTS),
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

export const putRoisSchema = z
  .object({ deviceId: deviceIdSchema.optional(), rois: z.array(roiSchema).max(MAX_ROIS_PER_CHANNEL) })
  .strict()
  .refine((b) => new Set(b.rois.map((r) => r.id)).size === b.rois.length, { message: 'ROI ids must be unique', path: ['rois'] });
export type PutRoisDto = z.output<typeof putRoisSchema>;

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
