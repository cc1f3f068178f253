import { z } from 'zod';

/**
 * Body of POST /api/devices/:deviceId/channels/:channelId/play (may be empty).
 * `codec: "h264"`: an H.265 stream is answered with its H.264 rendition (a transcode, for browsers without HEVC);
 * an H.264 stream with itself. `"auto"` (the default): the camera's own video.
 */
export const playBodySchema = z
  .object({
    transport: z.enum(['udp', 'tcp-passive', 'tcp-active']).optional(),
    codec: z.enum(['auto', 'h264']).optional(),
    stream: z.enum(['main', 'sub']).optional().describe('main (default) or the substream (GB/T 28181-2022 streamnumber 1; its own stream ID …_sub)'),
  })
  .strict()
  .optional()
  .default({});

export type PlayBody = z.output<typeof playBodySchema>;
