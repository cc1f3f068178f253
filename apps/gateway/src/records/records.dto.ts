import { z } from 'zod';
import { parseApiTime } from './record-time';
import { MAX_RECORD_QUERY_SPAN_S } from './records.service';
import { DOWNLOAD_SPEEDS, MAX_DOWNLOAD_SPAN_S } from './downloads.service';

export { channelIdSchema } from '../api/devices.dto';
export const downloadIdSchema = z.string().regex(/^[0-9a-f]{16}$/, 'must be a download id (16 hex digits)');

/** Unix seconds (number or digits) or ISO 8601, to unix seconds. */
const apiTime = z.union([z.string().max(40), z.number()]).transform((v, ctx) => {
  const t = parseApiTime(v);
  if (t === null) {
    ctx.addIssue({ code: 'custom', message: 'must be unix seconds or an ISO 8601 date-time' });
    return z.NEVER;
  }
  return t;
});

/** end after start, and at most maxSpan seconds later (reported on `end`). */
function checkRange(maxSpan: number, maxSpanText: string) {
  return (r: { start: number; end: number }, ctx: z.RefinementCtx) => {
    if (!(r.end > r.start)) ctx.addIssue({ code: 'custom', message: 'must be after start', path: ['end'] });
    else if (r.end - r.start > maxSpan) ctx.addIssue({ code: 'custom', message: `the span from start may be at most ${maxSpanText}`, path: ['end'] });
  };
}

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
