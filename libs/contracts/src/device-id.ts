/**
 * The device and channel ID rule (issue #8), for everything outside the protocol library: the HTTP API and the dashboard.
 *
 * GB/T 28181-2016 Annex D codes are 20 decimal digits, but some devices register with shorter or alphanumeric IDs.
 * The gateway accepts 1-32 ASCII letters and digits: every 20-digit code, and what the registrar has always let in,
 * so a device that shows online can also be read, played and deleted. No `_` (stream IDs are `<device>_<channel>`),
 * no other punctuation (IDs go into SIP URIs, URL paths and file names unescaped).
 *
 * libs/gb28181/src/ids/device-id.ts holds the same literal (that library imports nothing of ours);
 * apps/gateway/src/api/device-id-rule.spec.ts asserts the two agree.
 */
export const DEVICE_ID_CHARS = '[0-9A-Za-z]{1,32}';
/** The whole-string pattern (OpenAPI `pattern`, HTML `pattern`). */
export const DEVICE_ID_PATTERN = `^${DEVICE_ID_CHARS}$`;
export const MAX_DEVICE_ID_CHARS = 32;

const DEVICE_ID_RE = new RegExp(DEVICE_ID_PATTERN);

/** Whether `s` is a device or channel ID the gateway accepts. */
export function isDeviceId(s: unknown): s is string {
  return typeof s === 'string' && DEVICE_ID_RE.test(s);
}
