// Weekly record plan ranges as the editor shows them, DOM-free (a Node spec imports it).

/** "08:00-18:00, 20:00-24:00" -> minute ranges; null when unreadable. */
export function parseDayRanges(text: string): { startMinute: number; endMinute: number }[] | null {
  const out: { startMinute: number; endMinute: number }[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/.exec(part);
    if (!m) return null;
    const a = Number(m[1]) * 60 + Number(m[2]);
    const b = Number(m[3]) * 60 + Number(m[4]);
    if (Number(m[2]) > 59 || Number(m[4]) > 59 || a >= b || b > 1440) return null;
    out.push({ startMinute: a, endMinute: b });
  }
  return out;
}

export function formatDayRanges(ranges: readonly { startMinute: number; endMinute: number }[]): string {
  const hm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return ranges.map((r) => `${hm(r.startMinute)}-${hm(r.endMinute)}`).join(', ');
}
