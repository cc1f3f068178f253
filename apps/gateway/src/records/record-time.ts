/**
 * Times in RecordInfo (GB/T 28181-2016 §A.2.4.5, §A.2.6.6): `YYYY-MM-DDTHH:mm:ss`, the device's local
 * time without a zone. The gateway assumes the device shares its own time zone (devices set their clock from
 * the `Date:` header of our REGISTER 200 OK). Some devices write a space instead of the `T`.
 */

const GB_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?$/;
/** ISO 8601 as the API accepts it: a date and a time, optionally fractional seconds and a zone. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** `YYYY-MM-DDTHH:mm:ss` in local time, for a RecordInfo query's StartTime/EndTime. */
export function formatGbTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Unix seconds of a device's local `YYYY-MM-DDTHH:mm:ss`, or null when it is not such a time (or not a real date). */
export function parseGbTime(text: string): number | null {
  const m = GB_TIME.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const date = new Date(y, mo - 1, d, h, mi, s);
  // Reject rollovers such as 2024-02-30 or 25:00:00.
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d || date.getHours() !== h || date.getMinutes() !== mi) return null;
  return Math.floor(date.getTime() / 1000);
}

/**
 * An API time: unix seconds (digits) or ISO 8601 (a zone-less ISO time is local time, as in ECMAScript).
 * Returns unix seconds, or null when unreadable.
 */
export function parseApiTime(value: string | number): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : null;
  const v = value.trim();
  if (/^\d{1,12}$/.test(v)) {
    const n = Number(v);
    return n > 0 ? n : null;
  }
  if (!ISO_TIME.test(v) || !isRealDateTime(v)) return null;
  const ms = Date.parse(v);
  return Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : null;
}

/** Date.parse rolls 2024-02-30 over to March 1st: a day past the month's end, hour 24+, minute or second 60+ is not a time. */
function isRealDateTime(iso: string): boolean {
  const [y, mo, d, h, mi, sec] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10), iso.slice(11, 13), iso.slice(14, 16), iso.slice(17, 19) || '0'].map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth && h < 24 && mi < 60 && sec < 60;
}
