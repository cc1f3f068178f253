/** Display helpers, free of the DOM (unit-tested in test/e2e/dashboard-logic.spec.ts). */

/** "12 s ago", "5 min ago", "3 h ago", "2 d ago"; "never" for null. */
export function ago(iso: string | null, now: number): string {
  if (!iso) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return 'never';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** Local "YYYY-MM-DD HH:MM:SS". */
export function localTime(iso: string | number | null): string {
  if (iso === null) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** The value of an `<input type="datetime-local">` for a time (local, minutes). */
export function toDatetimeLocal(ms: number): string {
  return localTime(ms).slice(0, 16).replace(' ', 'T');
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
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
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
  return `Request failed: HTTP ${status}${statusText ? ` ${statusText}` : ''}`;
}
