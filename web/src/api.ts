import type { FieldProblem } from './api-types';
import { errorMessage } from './format';
import { getLocale, hasKey, t } from './i18n';

/** An API call that did not answer 2xx: `message` is the gateway's plain message; `fields` what a 400 named. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: readonly FieldProblem[] = [],
  ) {
    super(message);
  }
}

/** The `errors` list of an error body, when it is the gateway's `[{field, message}]`. */
function fieldProblems(body: unknown): FieldProblem[] {
  const list = body && typeof body === 'object' ? (body as { errors?: unknown }).errors : null;
  if (!Array.isArray(list)) return [];
  return list
    .filter((e): e is { field: string; message: unknown } => !!e && typeof e === 'object' && typeof (e as { field?: unknown }).field === 'string')
    .map((e) => ({ field: e.field, message: String(e.message) }));
}

const TOKEN_KEY = 'gbgw.token';
const EXPIRY_KEY = 'gbgw.expires';

/** The access token of this tab (sessionStorage: gone when the tab closes), null when absent or expired. */
export function getToken(): string | null {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const expires = Number(sessionStorage.getItem(EXPIRY_KEY) ?? 0);
  if (!token || (expires && Date.now() > expires)) return null;
  return token;
}

export function setToken(token: string, expiresInS: number): void {
  sessionStorage.setItem(TOKEN_KEY, token);
  sessionStorage.setItem(EXPIRY_KEY, String(Date.now() + expiresInS * 1000));
}

export function clearToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(EXPIRY_KEY);
}

/** Called when the API answers 401 to a call made with a token (expired or revoked). */
let onUnauthorized: () => void = () => undefined;
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

async function send(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'NETWORK', t('api.network'));
  }
  if (res.ok) return res;
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(await res.text());
  } catch {
    /* not JSON */
  }
  const code = parsed && typeof parsed === 'object' && typeof (parsed as { code?: unknown }).code === 'string' ? (parsed as { code: string }).code : `HTTP_${res.status}`;
  if (res.status === 401 && token) onUnauthorized();
  throw new ApiError(res.status, code, errorMessage(res.status, res.statusText, parsed), fieldProblems(parsed));
}

/** JSON API call; `path` starts with /api/. Resolves to null for 204. */
export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await send(method, path, body, signal);
  if (res.status === 204) return null as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : null) as T;
}

/** A binary resource that needs the bearer token (snapshots, downloads), as a Blob. */
export async function apiBlob(path: string, signal?: AbortSignal): Promise<Blob> {
  return (await send('GET', path, undefined, signal)).blob();
}

const CATALOGUE_CODE = /^(DEVICE|MEDIA|PORTS|STREAM|CHANNEL|FEATURE)_[A-Z_]+$/;

/**
 * The explanation of an API error code in the chosen language, or null when the catalogue has none. English shows
 * the gateway's own message instead (it says more); other languages show this, with the code beside it.
 */
export function explainCode(code: string): string | null {
  const key = `error.${code}`;
  return hasKey(key) ? t(key) : null;
}

/** The message to show for any thrown value. */
export function messageOf(e: unknown): string {
  // Stream and device failures carry a code from the gateway's catalogue (DEVICE_REFUSED, MEDIA_NO_RTP, …): show it.
  if (e instanceof ApiError) {
    const translated = getLocale() === 'en' ? null : explainCode(e.code);
    if (translated) return t('error.withCode', { message: translated, code: e.code });
    return CATALOGUE_CODE.test(e.code) ? t('error.withCode', { message: e.message, code: e.code }) : e.message;
  }
  if (e instanceof Error) return e.message;
  return String(e);
}
