/**
 * The superior-platform page's logic, free of the DOM (unit-tested in test/e2e/dashboard-platforms-logic.spec.ts):
 * the form's values and the POST/PATCH body they make, the API's errors as words at a field or the form, the
 * registration cause in plain words, and the channel picker's rows. The API is docs/cascade.md "API".
 */
import type { FieldProblem, PlatformDto } from '../api-types';
import { formatNumber, t, type MessageKey } from '../i18n';

export const PLATFORM_TRANSPORTS = ['udp', 'tcp'] as const;
/** What the API accepts (MANSCDP_CHARSETS of libs/gb28181); GB2312 is what GB/T 28181 superiors expect. */
export const PLATFORM_CHARSETS = ['GB2312', 'GBK', 'GB18030', 'UTF-8'] as const;
/** The gateway's defaults (apps/gateway/src/cascade/platforms.dto.ts), shown in an empty form. */
export const DEFAULT_PLATFORM_PORT = 5060;
export const DEFAULT_PLATFORM_EXPIRES_S = 3600;
export const DEFAULT_PLATFORM_KEEPALIVE_S = 60;

/** The fields of the form, in the API's names: a 400 VALIDATION_FAILED naming one shows its words beside it. */
export const PLATFORM_FIELDS = ['name', 'serverId', 'domain', 'host', 'port', 'transport', 'password', 'localId', 'expiresS', 'keepaliveS', 'charset', 'channels', 'enabled'] as const;
export type PlatformField = (typeof PLATFORM_FIELDS)[number];

/** What the form holds: text as typed (numbers too), the shared set, the switches. */
export interface PlatformFormValues {
  name: string;
  serverId: string;
  domain: string;
  host: string;
  port: string;
  transport: string;
  /** Write-only: empty on edit means unchanged. */
  password: string;
  /** Empty: the gateway's SIP_ID. */
  localId: string;
  expiresS: string;
  keepaliveS: string;
  charset: string;
  shareAll: boolean;
  channels: string[];
  enabled: boolean;
}

/** The form's starting values: the platform's settings (no password), or the gateway's defaults for a new one. */
export function formValuesOf(p?: PlatformDto): PlatformFormValues {
  if (!p) {
    return {
      name: '', serverId: '', domain: '', host: '', port: String(DEFAULT_PLATFORM_PORT), transport: 'udp', password: '', localId: '',
      expiresS: String(DEFAULT_PLATFORM_EXPIRES_S), keepaliveS: String(DEFAULT_PLATFORM_KEEPALIVE_S), charset: 'GB2312', shareAll: false, channels: [], enabled: true,
    };
  }
  return {
    name: p.name, serverId: p.serverId, domain: p.domain, host: p.host, port: String(p.port), transport: p.transport, password: '', localId: p.localId,
    expiresS: String(p.expiresS), keepaliveS: String(p.keepaliveS), charset: p.charset, shareAll: p.shareAll, channels: [...p.channels], enabled: p.enabled,
  };
}

export type BodyResult = { ok: true; body: Record<string, unknown> } | { ok: false; field: PlatformField };

const NUMBER_FIELDS = ['port', 'expiresS', 'keepaliveS'] as const;
const TEXT_FIELDS = ['name', 'serverId', 'domain', 'host'] as const;

/**
 * The body of POST /api/platforms (no `original`) or PATCH /api/platforms/:id (only what changed; an empty body
 * means nothing to save). A number field that is not a whole number is refused here (`field`); everything else is
 * the gateway's to judge. On create an empty number or local ID takes the gateway's default; on edit an empty
 * password is left unchanged and an empty local ID goes back to SIP_ID (`localId: null`).
 */
export function platformBody(v: PlatformFormValues, original?: PlatformDto): BodyResult {
  const body: Record<string, unknown> = {};
  for (const f of NUMBER_FIELDS) {
    const s = v[f].trim();
    if (s === '' && !original) continue;
    if (!/^\d{1,9}$/.test(s)) return { ok: false, field: f };
    const n = Number(s);
    if (!original || n !== original[f]) body[f] = n;
  }
  for (const f of TEXT_FIELDS) {
    const s = v[f].trim();
    if (!original || s !== original[f]) body[f] = s;
  }
  if (!original || v.transport !== original.transport) body.transport = v.transport;
  if (!original || v.charset !== original.charset) body.charset = v.charset;
  if (!original || v.enabled !== original.enabled) body.enabled = v.enabled;
  if (!original || v.password !== '') body.password = v.password;
  const localId = v.localId.trim();
  if (!original) {
    if (localId) body.localId = localId;
  } else if (localId !== original.localId) body.localId = localId || null;

  const chosen = [...new Set(v.channels)];
  if (v.shareAll) {
    if (!original || !original.shareAll) body.shareAll = true;
  } else if (!original) {
    body.channels = chosen;
  } else if (original.shareAll || !sameSet(chosen, original.channels)) {
    body.shareAll = false;
    body.channels = chosen;
  }
  return { ok: true, body };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const s = new Set(b);
  return a.length === s.size && a.every((x) => s.has(x));
}

/** Words for the form: one per field the gateway named, and one for the form itself. */
export interface FormProblems {
  fields: Partial<Record<PlatformField, string>>;
  form: string | null;
}

/** The field of the form a path of the gateway's `errors` list belongs to (`channels.3` -> channels). */
export function fieldOf(path: string): PlatformField | null {
  const head = path.split('.')[0]!;
  if (head === 'shareAll') return 'channels';
  return (PLATFORM_FIELDS as readonly string[]).includes(head) ? (head as PlatformField) : null;
}

/**
 * An API error as words at the fields and the form: 400 VALIDATION_FAILED marks each named field with what it must
 * be; 409 CONFLICT and 404 NOT_FOUND say what happened; anything else shows `fallback` (the gateway's message).
 */
export function problemsOf(e: { status: number; code: string; fields?: readonly FieldProblem[] }, fallback: string): FormProblems {
  const fields: FormProblems['fields'] = {};
  if (e.code === 'VALIDATION_FAILED') {
    let unplaced = false;
    for (const p of e.fields ?? []) {
      const f = fieldOf(p.field);
      if (f) fields[f] = invalidWords(f);
      else unplaced = true;
    }
    if (Object.keys(fields).length) return { fields, form: unplaced ? fallback : t('platforms.fixFields') };
    return { fields, form: fallback };
  }
  if (e.code === 'CONFLICT' || e.status === 409) return { fields, form: t('platforms.conflict') };
  if (e.code === 'NOT_FOUND' || e.status === 404) return { fields, form: t('platforms.gone') };
  return { fields, form: fallback };
}

/** What a field must hold, in words. */
export function invalidWords(f: PlatformField): string {
  return t(`platforms.invalid.${f}` as MessageKey);
}

/** The stable codes a registration cause starts with (RegistrationFailureCode in platform-registration.ts). */
export const CAUSE_CODES = [
  'PLATFORM_FORBIDDEN',
  'PLATFORM_AUTH_REJECTED',
  'PLATFORM_BAD_CHALLENGE',
  'PLATFORM_REJECTED',
  'PLATFORM_TIMEOUT',
  'PLATFORM_SEND_FAILED',
  'PLATFORM_KEEPALIVE_LOST',
] as const;

/** `cause` (`<CODE>: <detail>`) in plain words, with its code and the superior's detail; null for none. */
export function causeWords(cause: string | null): { words: string; code: string | null; detail: string } | null {
  if (!cause) return null;
  const m = /^([A-Z][A-Z0-9_]*)(?::\s*([\s\S]*))?$/.exec(cause);
  const code = m?.[1] ?? null;
  const detail = m?.[2] ?? '';
  if (code && (CAUSE_CODES as readonly string[]).includes(code)) return { words: t(`platforms.cause.${code}` as MessageKey), code, detail };
  return { words: cause, code, detail: '' };
}

/** Whether the row shows the cause: a failure, or a registration started again after one (lost keepalives). */
export function showsCause(p: Pick<PlatformDto, 'state' | 'cause'>): boolean {
  return !!p.cause && (p.state === 'failed' || p.state === 'registering');
}

/** `serverId@domain`. */
export function superiorOf(p: Pick<PlatformDto, 'serverId' | 'domain'>): string {
  return `${p.serverId}@${p.domain}`;
}

/** `host:port/UDP`; an IPv6 address in brackets. */
export function addressOf(p: Pick<PlatformDto, 'host' | 'port' | 'transport'>): string {
  const host = p.host.includes(':') ? `[${p.host}]` : p.host;
  return `${host}:${p.port}/${p.transport.toUpperCase()}`;
}

/** The shared channels: "all", or how many. */
export function sharedLabel(p: Pick<PlatformDto, 'shareAll' | 'channels'>): string {
  return p.shareAll ? t('platforms.sharedAll') : formatNumber(p.channels.length);
}

/** A channel the picker lists (ChannelDto's fields it shows). */
export interface PickerChannel {
  channelId: string;
  deviceId: string;
  name: string | null;
  /** A directory node of a catalog (region, business group…): not a camera, never listed. */
  isDirectory?: boolean;
}

/**
 * The rows of the channel picker: chosen IDs no catalog has now come first (so they can be unticked), then the
 * channels (directory nodes only when chosen) whose name, channel ID or device ID contains `query` (any case), only chosen ones when `onlyChosen`; at
 * most `limit` rows, `more` counts the matches left out.
 */
export function pickerRows(channels: readonly PickerChannel[], chosen: ReadonlySet<string>, query: string, onlyChosen: boolean, limit: number): { rows: PickerChannel[]; more: number } {
  const q = query.trim().toLowerCase();
  const known = new Set(channels.map((c) => c.channelId));
  const unknown: PickerChannel[] = [...chosen].filter((id) => !known.has(id)).sort().map((channelId) => ({ channelId, deviceId: '', name: null }));
  const matches = (c: PickerChannel) => (c.isDirectory !== true || chosen.has(c.channelId)) && (!onlyChosen || chosen.has(c.channelId)) && (!q || [c.channelId, c.deviceId, c.name ?? ''].some((x) => x.toLowerCase().includes(q)));
  const all = [...unknown, ...channels].filter(matches);
  return { rows: all.slice(0, limit), more: Math.max(0, all.length - limit) };
}
