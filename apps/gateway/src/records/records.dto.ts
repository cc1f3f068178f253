import { z } from 'zod';
import { apiTimeSchema as apiTime, checkTimeRange as checkRange } from '../api/time-range.schema';
import { MAX_RECORD_QUERY_SPAN_S } from './records.service';
import { DOWNLOAD_SPEEDS, MAX_DOWNLOAD_SPAN_S } from './downloads.service';

export { channelIdSchema } from '../api/devices.dto';
export const downloadIdSchema = z.string().regex(/^[0-9a-f]{16}$/, 'must be a download id (16 hex digits)');

/** GET …/records?start=&end= */
export const recordsQuerySchema = z
  .strictObject({ start: apiTime, end: apiTime })
  .superRefine(checkRange(MAX_RECORD_QUERY_SPAN_S, `${MAX_RECORD_QUERY_SPAN_S / 86_400} days`));

/** POST …/downloads { start, end, speed? } */
export const downloadBodySchema = z
  .strictObject({
    start: apiTime,
    end: apiTime,
    speed: z
      .number()
      .refine((n) => (DOWNLOAD_SPEEDS as readonly number[]).includes(n), { message: `must be one of ${DOWNLOAD_SPEEDS.join(', ')}` })
      .optional(),
  })
  .superRefine(checkRange(MAX_DOWNLOAD_SPAN_S, `${MAX_DOWNLOAD_SPAN_S / 3600} h`));
