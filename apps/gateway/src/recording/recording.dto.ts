import { z } from 'zod';
import { apiTimeSchema, checkTimeRange } from '../api/time-range.schema';

/** Longest range one listing covers (seconds). */
export const MAX_RECORDINGS_QUERY_SPAN_S = 31 * 86_400;
/** Longest range one VOD playlist covers (seconds): 24 h of 60 s segments is 1440 entries. */
export const MAX_PLAYLIST_SPAN_S = 86_400;
/** Longest range one MP4 download covers (seconds). */
export const MAX_EXPORT_SPAN_S = 2 * 3600;

/** GET …/recordings?from=&to= */
export const recordingsQuerySchema = z
  .strictObject({ from: apiTimeSchema, to: apiTimeSchema })
  .transform((q) => ({ start: q.from, end: q.to }))
  .superRefine(checkTimeRange(MAX_RECORDINGS_QUERY_SPAN_S, '31 days'));

/** GET …/recordings/download?from=&to= (API; the media URL adds token). */
export const exportQuerySchema = z
  .strictObject({ from: apiTimeSchema, to: apiTimeSchema, token: z.string().max(100).optional() })
  .transform((q) => ({ start: q.from, end: q.to, token: q.token }))
  .superRefine(checkTimeRange(MAX_EXPORT_SPAN_S, '2 h'));

/** GET /rec/:channelId/index.m3u8?from=&to=&token= */
export const playlistQuerySchema = z
  .strictObject({ from: apiTimeSchema, to: apiTimeSchema, token: z.string().max(100).optional() })
  .transform((q) => ({ start: q.from, end: q.to, token: q.token }))
  .superRefine(checkTimeRange(MAX_PLAYLIST_SPAN_S, '24 h'));

export const segmentFileSchema = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.ts$/, 'must be <segment id>.ts');
