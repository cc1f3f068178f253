import { z } from 'zod';

/** GB/T 28181-2016 Annex D: device and channel codes are 20 decimal digits. */
export const deviceIdSchema = z.string().regex(/^\d{20}$/, 'must be a 20-digit GB/T 28181 device ID');
export const channelIdSchema = z.string().regex(/^\d{20}$/, 'must be a 20-digit GB/T 28181 channel ID');

export const MAX_DEVICE_PASSWORD_CHARS = 64;
export const MAX_DEVICE_NAME_CHARS = 128;

export const DEVICE_CHARSETS = ['auto', 'GB2312', 'GBK', 'GB18030', 'UTF-8'] as const;
export const STREAM_TRANSPORTS = ['udp', 'tcp-passive', 'tcp-active'] as const;

/** PATCH /api/devices/:deviceId. Unknown keys are rejected; `password: null` clears the per-device password. */
export const patchDeviceSchema = z.strictObject({
  password: z.string().min(1).max(MAX_DEVICE_PASSWORD_CHARS).nullable().optional(),
  charset: z.enum(DEVICE_CHARSETS).optional(),
  streamTransport: z.enum(STREAM_TRANSPORTS).optional(),
  name: z.string().max(MAX_DEVICE_NAME_CHARS).optional(),
});

export type PatchDeviceDto = z.infer<typeof patchDeviceSchema>;
