/** Display helpers, free of the DOM (unit-tested in test/e2e/dashboard-logic.spec.ts); words and numbers in the chosen locale (i18n.ts). */
import { formatDateTime, formatNumber, t } from './i18n';

/** "12 s ago", "5 min ago", "3 h ago", "2 d ago" ("12 秒前" … in Chinese); "never" for null. */
export function ago(iso: string | null, now: number): string {
  if (!iso) return t('time.never');
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return t('time.never');
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return t('time.secondsAgo', { n: s });
  if (s < 3600) return t('time.minutesAgo', { n: Math.floor(s / 60) });
  if (s < 86_400) return t('time.hoursAgo', { n: Math.floor(s / 3600) });
  return t('time.daysAgo', { n: Math.floor(s / 86_400) });
}

/** Local date and time to the second in the chosen locale (Intl: "2024/05/01 20:00:00" in zh-CN); empty for null. */
export function localTime(iso: string | number | null): string {
  if (iso === null) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return formatDateTime(d);
}

/** The value of an `<input type="datetime-local">` for a time (local "YYYY-MM-DDTHH:MM", whatever the locale). */
export function toDatetimeLocal(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** "1:02:03" / "2:03" for a duration in seconds. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/** "1.5 MB"; empty for null. */
export function bytes(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${formatNumber(v, { useGrouping: false, minimumFractionDigits: i === 0 ? 0 : 1, maximumFractionDigits: i === 0 ? 0 : 1 })} ${units[i]}`;
}

/**
 * The plain message of an API error body `{statusCode, code, message, errors?}`: the message, then each field
 * error; falls back to the HTTP status text when the body is not the gateway's.
 */
export function errorMessage(status: number, statusText: string, body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as { message?: unknown; errors?: unknown };
    const msg = typeof b.message === 'string' ? b.message : Array.isArray(b.message) ? b.message.map(String).join('; ') : null;
    const fields = Array.isArray(b.errors)
      ? b.errors
          .filter((e): e is { field: unknown; message: unknown } => !!e && typeof e === 'object')
          .map((e) => `${String(e.field)}: ${String(e.message)}`)
      : [];
    if (msg) return fields.length && !fields.every((f) => msg.includes(f)) ? `${msg} (${fields.join('; ')})` : msg;
  }
  return t('api.requestFailed', { status: String(status), text: statusText ? ` ${statusText}` : '' });
}
