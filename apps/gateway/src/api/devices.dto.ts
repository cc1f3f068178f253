import { z } from 'zod';
import { DEVICE_ID_CHARS, DEVICE_ID_PATTERN } from '@gb/gb28181';

/**
 * Device and channel IDs: the one rule of libs/gb28181/src/ids/device-id.ts (a 20-digit GB/T 28181 code, or 1-32
 * letters and digits for devices that ignore Annex D), the same the registrar applies: whatever registers can be
 * read, played and deleted here.
 */
const idRule = (what: string) => `must be a GB/T 28181 ${what} ID: 20 digits, or 1-32 letters and digits`;
export const deviceIdSchema = z.string().regex(new RegExp(DEVICE_ID_PATTERN), idRule('device'));
export const channelIdSchema = z.string().regex(new RegExp(DEVICE_ID_PATTERN), idRule('channel'));
/** For OpenAPI parameter and property docs. */
export const DEVICE_ID_OPENAPI = { type: 'string', pattern: DEVICE_ID_PATTERN } as const;
/** `<deviceId>_<channelId>[_<n>]`: unambiguous because IDs never contain `_`. */
export const STREAM_ID_RE = new RegExp(`^${DEVICE_ID_CHARS}_${DEVICE_ID_CHARS}(_[a-z0-9]{1,12})?$`);

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
