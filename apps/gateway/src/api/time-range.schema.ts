import { z } from 'zod';
import { parseApiTime } from '../records/record-time';

/** An API time: unix seconds (number or digits) or ISO 8601, to unix seconds (records, downloads, playback). */
export const apiTimeSchema = z
  .union([z.string().max(40), z.number()])
  .describe('unix seconds or ISO 8601 date-time')
  .transform((v, ctx) => {
    const t = parseApiTime(v);
    if (t === null) {
      ctx.addIssue({ code: 'custom', message: 'must be unix seconds or an ISO 8601 date-time' });
      return z.NEVER;
    }
    return t;
  });

/** end after start, and at most maxSpan seconds later (reported on `end`). */
export function checkTimeRange(maxSpan: number, maxSpanText: string) {
  return (r: { start: number; end: number }, ctx: z.RefinementCtx) => {
    if (!(r.end > r.start)) ctx.addIssue({ code: 'custom', message: 'must be after start', path: ['end'] });
    else if (r.end - r.start > maxSpan) ctx.addIssue({ code: 'custom', message: `the span from start may be at most ${maxSpanText}`, path: ['end'] });
  };
}
