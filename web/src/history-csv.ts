import type { CongestionHistoryPoint } from '@gb/contracts';
import { api, messageOf } from './api';
import type { CongestionHistoryDto } from './api-types';
import { h, toast } from './dom';
import { t } from './i18n';

/** The gateway answers at most 31 days per request (historyQuerySchema). */
const MAX_RANGE_MS = 31 * 86_400_000;
const STEPS_S = [1, 10, 60, 300, 3600];

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
const field = (v: string | number) => (/[",\r\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));

/** History points as CSV (RFC 4180, CRLF), one row per bucket and ROI, in the gateway's order. */
export function historyCsv(channelId: string, points: readonly CongestionHistoryPoint[]): string {
  const head = ['channelId', 'roi', 'bucketStart', 'index', 'maxIndex', 'level', 'vehicles', 'samples'];
  const rows = points.map((p) => [channelId, p.roi, p.t, p.index, p.maxIndex, p.level, p.vehicles, p.samples].map(field).join(','));
  return [head.join(','), ...rows].join('\r\n') + '\r\n';
}

/** `<input type=datetime-local>` value of a time, in the browser's zone. */
const localInput = (ms: number) => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
};

/** A "CSV" pop-over for a congestion card: from, to, bucket width, download. */
export function historyCsvExport(channelId: string, label: () => string): HTMLDetailsElement {
  const now = Date.now();
  const from = h('input', { type: 'datetime-local', value: localInput(now - 3_600_000), 'data-field': 'csv-from' });
  const to = h('input', { type: 'datetime-local', value: localInput(now), 'data-field': 'csv-to' });
  const step = h('select', { 'data-field': 'csv-step' }, STEPS_S.map((s) => h('option', { value: s, selected: s === 60 }, t('csv.step', { n: s }))));
  const error = h('p', { class: 'error', role: 'alert' });
  const download = async () => {
    error.textContent = '';
    const f = Date.parse(from.value);
    const e = Date.parse(to.value);
    if (!Number.isFinite(f) || !Number.isFinite(e) || f > e) return void (error.textContent = t('csv.badRange'));
    if (e - f > MAX_RANGE_MS) return void (error.textContent = t('csv.tooLong'));
    try {
      const r = await api<CongestionHistoryDto>('GET', `/api/congestion/${channelId}/history?from=${encodeURIComponent(new Date(f).toISOString())}&to=${encodeURIComponent(new Date(e).toISOString())}&step=${step.value}`);
      const url = URL.createObjectURL(new Blob([historyCsv(channelId, r.points)], { type: 'text/csv' }));
      const a = h('a', { href: url, download: `congestion-${label().replace(/[^\p{L}\p{N}_.-]+/gu, '_')}-${from.value.replace(/[:T]/g, '')}.csv` });
      document.body.append(a);
      a.click();
      a.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 1000);
      toast(t('csv.done', { n: r.points.length }));
    } catch (err) {
      error.textContent = messageOf(err);
    }
  };
  return h('details', { class: 'csv-export' },
    h('summary', {}, t('csv.summary')),
    h('div', { class: 'csv-form card' },
      h('label', {}, t('csv.from'), ' ', from),
      h('label', {}, t('csv.to'), ' ', to),
      h('label', {}, t('csv.stepLabel'), ' ', step),
      error,
      h('button', { type: 'button', class: 'primary', 'data-action': 'csv-download', onclick: () => void download() }, t('csv.download')),
    ),
  );
}
