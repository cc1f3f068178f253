import { z } from 'zod';
import { apiTimeSchema, checkTimeRange } from '../api/time-range.schema';

/** Longest range one playback may ask for (a day of the timeline; records may be listed over 31 days). */
export const MAX_PLAYBACK_SPAN_S = 24 * 3600;

/** POST …/playback { start, end, transport? }: times as unix seconds or ISO 8601, as records and downloads take them. */
export const playbackBodySchema = z
  .strictObject({
    start: apiTimeSchema,
    end: apiTimeSchema,
    transport: z.enum(['udp', 'tcp-passive', 'tcp-active']).optional(),
  })
  .superRefine(checkTimeRange(MAX_PLAYBACK_SPAN_S, `${MAX_PLAYBACK_SPAN_S / 3600} h`));
