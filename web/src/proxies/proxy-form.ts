/**
 * The stream proxies page's logic, free of the DOM (unit-tested in test/e2e/dashboard-proxies-logic.spec.ts): the
 * form's values and the POST/PATCH body they make, the API's errors at a field or the form, the state's cause in
 * plain words. The API is docs/decisions/stream-proxy.md "API".
 */
import type { DeviceDto, ProxyDto, ProxyMode } from '@gb/contracts';
import type { FieldProblem } from '../api-types';
import { t, type MessageKey } from '../i18n';

export const PROXY_MODES: readonly ProxyMode[] = ['on-demand', 'always', 'push'];
/** The fields of the form, in the API's names. */
export const PROXY_FIELDS = ['name', 'mode', 'url', 'username', 'password'] as const;
export type ProxyField = (typeof PROXY_FIELDS)[number];

export interface ProxyFormValues {
  name: string;
  mode: ProxyMode;
  /** Pulls only. */
  url: string;
  username: string;
  /** Write-only: empty on edit means unchanged. */
  password: string;
}

export function formValuesOf(p?: ProxyDto): ProxyFormValues {
  if (!p) return { name: '', mode: 'on-demand', url: '', username: '', password: '' };
  return { name: p.name, mode: p.mode, url: p.url ?? '', username: p.username ?? '', password: '' };
}

export type ProxyBodyResult = { ok: true; body: Record<string, unknown> } | { ok: false; field: ProxyField };

/**
 * The body of POST /api/proxies (no `original`) or PATCH /api/proxies/:id (only what changed; an empty body means
 * nothing to save). A push proxy sends only its name and mode (the gateway makes its publish URL); a pull needs a URL
 * (refused here as `url` when empty). On edit an empty password is left unchanged and an emptied user name is cleared
 * (null). A proxy stays pull or push: the form does not offer the other kind on edit.
 */
export function proxyBody(v: ProxyFormValues, original?: ProxyDto): ProxyBodyResult {
  const name = v.name.trim();
  if (!name) return { ok: false, field: 'name' };
  const body: Record<string, unknown> = {};
  if (!original || name !== original.name) body.name = name;
  if (v.mode === 'push') {
    if (!original) body.mode = 'push';
    return { ok: true, body };
  }
  const url = v.url.trim();
  if (!url) return { ok: false, field: 'url' };
  if (!original || v.mode !== original.mode) body.mode = v.mode;
  if (!original || url !== original.url) body.url = url;
  const user = v.username.trim();
  if (!original) {
    if (user) body.username = user;
    if (v.password) body.password = v.password;
  } else {
    if (user !== (original.username ?? '')) body.username = user || null;
    if (v.password) body.password = v.password;
  }
  return { ok: true, body };
}

export interface FormProblems {
  fields: Partial<Record<ProxyField, string>>;
  form: string | null;
}

/**
 * An API error as words at the fields and the form: 400 VALIDATION_FAILED marks each named field; 503
 * FEATURE_DISABLED (push without RTMP_PORT) says how to turn push on; anything else shows `fallback`.
 */
export function problemsOf(e: { status: number; code: string; fields?: readonly FieldProblem[] }, fallback: string): FormProblems {
  const fields: FormProblems['fields'] = {};
  if (e.code === 'VALIDATION_FAILED') {
    for (const p of e.fields ?? []) {
      const head = p.field.split('.')[0]!;
      if ((PROXY_FIELDS as readonly string[]).includes(head)) fields[head as ProxyField] = t(`proxies.invalid.${head}` as MessageKey);
    }
    return { fields, form: Object.keys(fields).length ? t('proxies.fixFields') : fallback };
  }
  if (e.code === 'FEATURE_DISABLED') return { fields, form: t('proxies.pushOff') };
  if (e.code === 'NOT_FOUND' || e.status === 404) return { fields, form: t('proxies.gone') };
  return { fields, form: fallback };
}

/** Cause codes with words of their own (IngestCauseCode in apps/gateway/src/proxies/ffmpeg-cause.ts). */
export const PROXY_CAUSE_CODES = [
  'AUTH_FAILED', 'FORBIDDEN', 'NOT_FOUND', 'CONNECTION_REFUSED', 'TIMEOUT', 'UNREACHABLE', 'DNS_FAILED', 'BAD_STREAM', 'NO_VIDEO', 'UNSUPPORTED_CODEC',
  'SOURCE_ENDED', 'SOURCE_ERROR', 'PUSH_KEY_REJECTED', 'PUSH_BUSY', 'PUSH_STOPPED', 'PUSH_TIMEOUT', 'PUSH_PROTOCOL_ERROR',
] as const;

/** Refused publishes are news even while another encoder is live. */
const SHOWN_WHILE_LIVE = new Set(['PUSH_KEY_REJECTED', 'PUSH_BUSY']);

/**
 * The cause in plain words with its code and the source's own words (ffmpeg's line, the refused address); null when
 * the row shows none: no cause, or the proxy is live again after it (except refused publishes).
 */
export function causeWords(p: Pick<ProxyDto, 'state' | 'causeCode' | 'cause'>): { words: string; code: string; detail: string } | null {
  const code = p.causeCode;
  if (!code) return null;
  if (p.state === 'live' && !SHOWN_WHILE_LIVE.has(code)) return null;
  const known = (PROXY_CAUSE_CODES as readonly string[]).includes(code);
  return { words: known ? t(`proxies.cause.${code}` as MessageKey) : code, code, detail: p.cause ?? '' };
}

/** The source column: the URL of a pull, "RTMP push" for a push. */
export function sourceOf(p: Pick<ProxyDto, 'mode' | 'url'>): string {
  return p.mode === 'push' ? t('proxies.pushSource') : (p.url ?? '');
}

/** A device's name for people: the stream proxies' device in the chosen language, any other as it calls itself. */
export function deviceName(d: Pick<DeviceDto, 'name' | 'virtual'>): string | null {
  return d.virtual === 'stream-proxies' ? t('proxies.deviceName') : d.name;
}
