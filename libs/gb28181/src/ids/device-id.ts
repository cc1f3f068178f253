/**
 * The device and channel ID rule the registrar, the MESSAGE handler and the API share (issue #8).
 *
 * GB/T 28181-2016 Annex D codes are 20 decimal digits (`isGbId`), but devices in the field also register with
 * shorter or alphanumeric IDs. Accepted: 1-32 ASCII letters and digits, i.e. every 20-digit code plus those.
 * Excluded on purpose: `_` (stream IDs are `<device>_<channel>[_<n>]`) and any other punctuation (IDs go into SIP
 * URIs, URL paths and file names unescaped). Longer IDs are refused: a named bound on a peer-controlled string.
 *
 * libs/contracts/src/device-id.ts carries the same literal for the dashboard (this library imports nothing of ours);
 * apps/gateway/src/api/device-id-rule.spec.ts asserts that the two agree.
 */
export const DEVICE_ID_CHARS = '[0-9A-Za-z]{1,32}';
export const DEVICE_ID_PATTERN = `^${DEVICE_ID_CHARS}$`;
export const MAX_DEVICE_ID_CHARS = 32;

const DEVICE_ID_RE = new RegExp(DEVICE_ID_PATTERN);

/** Whether `s` is a device or channel ID the gateway accepts (a 20-digit GB/T 28181 code or 1-32 letters and digits). */
export function isDeviceId(s: unknown): s is string {
  return typeof s === 'string' && DEVICE_ID_RE.test(s);
}
