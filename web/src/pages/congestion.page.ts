import { CONGESTION_LEVELS, type ChannelCongestionDto, type ChannelDto, type CongestionFormingDto, type CongestionLevel, type CongestionScore, type GatewayEvent, type SceneState } from '@gb/contracts';
import { api, messageOf } from '../api';
import { alertOptIns } from '../alert-notify';
import { historyCsvExport } from '../history-csv';
import { roiEditor } from '../roi-editor';
import { can } from '../session-role';
import { sparkline } from '../sparkline';
import type { AppContext } from '../app-context';
import type { CongestionHistoryDto } from '../api-types';
import { h, toast } from '../dom';
import { ago, localTime } from '../format';
import { LineChart, type Series } from '../line-chart';
import { formatNumber, t, type MessageKey } from '../i18n';

const PALETTE = ['#2563eb', '#db2777', '#0891b2', '#7c3aed', '#ea580c', '#16a34a'];
/** Index bands of docs/congestion.md, drawn behind the lines. */
const BANDS = [
  { from: 0, to: 20, color: '#16a34a' },
  { from: 20, to: 40, color: '#84cc16' },
  { from: 40, to: 60, color: '#eab308' },
  { from: 60, to: 80, color: '#f97316' },
  { from: 80, to: 100, color: '#dc2626' },
];
/** `fit`: the window starts at the first score (at most `ms` back, at least MIN_FIT_MS), so a newly watched channel's line is not a sliver. */
const RANGES: { label: MessageKey; ms: number; stepS: number; fit?: boolean }[] = [
  { label: 'congestion.rangeFit', ms: 3_600_000, stepS: 5, fit: true },
  { label: 'congestion.range15m', ms: 15 * 60_000, stepS: 10 },
  { label: 'congestion.range1h', ms: 3_600_000, stepS: 30 },
  { label: 'congestion.range6h', ms: 6 * 3_600_000, stepS: 180 },
  { label: 'congestion.range24h', ms: 86_400_000, stepS: 600 },
];
const MIN_FIT_MS = 60_000;
/** Live points kept per ROI in memory (one per score, typically 1–5 per second). */
const MAX_LIVE_POINTS = 5000;

export function levelBadge(level: CongestionLevel, index: number): HTMLSpanElement {
  return h('span', { class: `level ${level}`, 'data-level': level }, t(`level.${level}`), ' · ', formatNumber(Math.round(index)));
}

/**
 * How the worker runs the detector on the channel and what it leaves out (GET /api/congestion `scene`): passes per
 * frame, contrast normalisation, learned fixtures and on-screen text areas; the worker's reason as the tooltip.
 */
export function sceneLine(scene: SceneState | null): HTMLDivElement {
  // Before the first score the line is there, empty: its arrival must not shift the ROI editor under the pointer.
  if (!scene) return h('div', { class: 'muted scene-line', 'data-field': 'scene' }, '\u00a0');
  const d = scene.detector;
  const how = d.passes <= 1 ? t('congestion.detectorSingle') : t('congestion.detectorPasses', { n: d.passes });
  const parts = [how, d.enhance === 'clahe' ? t('congestion.detectorClahe') : null, t('congestion.fixtures', { n: scene.fixtures.length }), t('congestion.osdAreas', { n: scene.osd.length })];
  return h('div', { class: 'muted scene-line', 'data-field': 'scene', title: d.reason }, parts.filter((p): p is string => p !== null).join(' · '));
}

/** The onset warning of a ROI (congestion.forming, docs/congestion.md "Onset warning"): its queue is forming. */
export function formingBadge(f: CongestionFormingDto): HTMLSpanElement {
  const title = t('congestion.formingTitle', { time: localTime(f.since), slope: formatNumber(f.slopePerMin, { maximumFractionDigits: 1 }) });
  return h('span', { class: 'forming-badge', 'data-field': 'forming', 'data-roi': f.roi, title }, t('congestion.forming'));
}

/** The channel's forming list with one ROI's warning set (`f`) or removed (null). */
export function withForming(list: readonly CongestionFormingDto[] | undefined, roi: string, f: CongestionFormingDto | null): CongestionFormingDto[] {
  const rest = (list ?? []).filter((x) => x.roi !== roi);
  return f ? [...rest, f] : rest;
}

interface Card {
  dto: ChannelCongestionDto;
  el: HTMLElement;
  state: HTMLElement;
  badges: HTMLElement;
  chart: LineChart;
  rangeIdx: number;
  history: Map<string, { t: number; v: number }[]>;
  live: Map<string, { t: number; v: number }[]>;
  redrawPending: boolean;
  title: HTMLElement;
  dispose: () => void;
}

/** Points per ROI sparkline on the board. */
const SPARK_POINTS = 60;

/** Worst first: the highest level among a channel's ROIs, then the highest index; unscored channels last. */
export function severityOf(scores: readonly CongestionScore[]): number {
  return scores.reduce((m, s) => Math.max(m, CONGESTION_LEVELS.indexOf(s.level) * 1000 + s.index), -1);
}

/** Watched channels: level badge + index per ROI, history chart with live points, ROI editor, unwatch. */
export function mountCongestion(root: HTMLElement, ctx: AppContext): () => void {
  const cards = new Map<string, Card>();
  const list = h('div', { class: 'cards' });
  const empty = h('p', { class: 'muted empty-note' }, t('congestion.empty'));
  let disposed = false;

  /** The watch state, the worker's error (its own words) and the last score's age, as separate text nodes. */
  const stateText = (d: ChannelCongestionDto): string[] =>
    [t(`visionState.${d.state}`), d.error ? `: ${d.error}` : '', d.updatedAt ? t('congestion.updated', { ago: ago(d.updatedAt, Date.now()) }) : ''].filter(Boolean);

  /** Channel names from the catalogs (GET /api/devices/:d/channels), one request per device. */
  const names = new Map<string, string>();
  const namedDevices = new Set<string>();
  const nameCards = async (deviceId: string) => {
    if (namedDevices.has(deviceId)) return;
    namedDevices.add(deviceId);
    try {
      for (const c of await api<ChannelDto[]>('GET', `/api/devices/${deviceId}/channels`)) if (c.name) names.set(c.channelId, c.name);
    } catch {
      namedDevices.delete(deviceId);
      return;
    }
    for (const card of cards.values()) if (card.dto.deviceId === deviceId) setTitle(card);
  };
  const setTitle = (card: Card) => {
    const name = names.get(card.dto.channelId);
    card.title.replaceChildren(name ?? card.dto.channelId);
    card.title.title = card.dto.channelId;
    card.title.classList.toggle('mono', !name);
  };

  /** Cards in severity order, worst first; moves nodes only when the order changed. */
  let sortPending = false;
  const sortCards = () => {
    if (sortPending) return;
    sortPending = true;
    window.setTimeout(() => {
      sortPending = false;
      const order = [...cards.values()].sort((a, b) => severityOf(b.dto.scores) - severityOf(a.dto.scores) || a.dto.channelId.localeCompare(b.dto.channelId));
      if (order.some((c, i) => list.children[i] !== c.el)) list.append(...order.map((c) => c.el));
    }, 200);
  };

  const sparkPoints = (card: Card, roi: string) => {
    const hist = card.history.get(roi) ?? [];
    const lastHist = hist.length ? hist[hist.length - 1]!.t : -Infinity;
    return [...hist, ...(card.live.get(roi) ?? []).filter((p) => p.t > lastHist)].slice(-SPARK_POINTS);
  };

  const renderBadges = (card: Card, scores: CongestionScore[]) => {
    const rois = [...new Set([...card.history.keys(), ...card.live.keys()])].sort();
    const forming = new Map((card.dto.forming ?? []).map((f) => [f.roi, f]));
    card.badges.replaceChildren(
      ...(scores.length
        ? scores.map((s) => h('div', { class: 'roi-score', 'data-roi': s.roi }, h('span', { class: 'muted' }, s.roi), sparkline(sparkPoints(card, s.roi), PALETTE[Math.max(0, rois.indexOf(s.roi)) % PALETTE.length]!, s.roi), levelBadge(s.level, s.index), forming.has(s.roi) ? formingBadge(forming.get(s.roi)!) : null, h('span', { class: 'muted' }, `${t('congestion.vehicles', { n: s.vehicles })}${s.persons ? t('congestion.persons', { n: s.persons }) : ''}${s.meanSpeed !== null ? `, ${formatNumber(s.meanSpeed, { minimumFractionDigits: 1, maximumFractionDigits: 1 })} ${s.speedUnit ?? ''}` : ''}`)))
        : [h('span', { class: 'muted' }, t('congestion.noScore'))]),
      sceneLine(card.dto.scene ?? null),
    );
  };

  const redraw = (card: Card) => {
    if (card.redrawPending) return;
    card.redrawPending = true;
    window.setTimeout(() => {
      card.redrawPending = false;
      const range = RANGES[card.rangeIdx]!;
      const to = Date.now();
      const rois = new Set([...card.history.keys(), ...card.live.keys()]);
      const series: Series[] = [...rois].sort().map((roi, i) => {
        const hist = card.history.get(roi) ?? [];
        const lastHist = hist.length ? hist[hist.length - 1]!.t : -Infinity;
        const live = (card.live.get(roi) ?? []).filter((p) => p.t > lastHist);
        return { name: roi, color: PALETTE[i % PALETTE.length]!, points: [...hist, ...live] };
      });
      let from = to - range.ms;
      if (range.fit) {
        const first = Math.min(...series.map((s) => s.points[0]?.t ?? Infinity));
        from = Math.min(to - MIN_FIT_MS, Math.max(from, Number.isFinite(first) ? first - 5000 : to - MIN_FIT_MS));
      }
      card.chart.set(series, { from, to, maxGapMs: Math.max(range.stepS * 3000, 30_000) });
    }, 250);
  };

  const loadHistory = async (card: Card) => {
    const range = RANGES[card.rangeIdx]!;
    const from = new Date(Date.now() - range.ms).toISOString();
    try {
      const r = await api<CongestionHistoryDto>('GET', `/api/congestion/${card.dto.channelId}/history?from=${encodeURIComponent(from)}&step=${range.stepS}`);
      card.history = new Map();
      for (const p of r.points) {
        const arr = card.history.get(p.roi) ?? [];
        arr.push({ t: Date.parse(p.t) + (range.stepS * 1000) / 2, v: p.index });
        card.history.set(p.roi, arr);
      }
      redraw(card);
      renderBadges(card, card.dto.scores);
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  };

  const addCard = (dto: ChannelCongestionDto) => {
    const state = h('span', { class: `tag state ${dto.state}` }, ...stateText(dto));
    const badges = h('div', { class: 'badges' });
    const chart = new LineChart({ from: Date.now() - MIN_FIT_MS, to: Date.now(), yMax: 100, bands: BANDS });
    const rangeSel = h('select', { title: t('congestion.rangeTitle'), 'aria-label': t('congestion.rangeTitle') }, RANGES.map((r, i) => h('option', { value: i, selected: i === 0 }, t(r.label))));
    const el = h('article', { class: 'card congestion', 'data-channel-id': dto.channelId });
    const title = h('h2', { class: 'mono' }, dto.channelId);
    const editor = roiEditor(dto.channelId, dto.deviceId);
    const csv = historyCsvExport(dto.channelId, () => names.get(dto.channelId) ?? dto.channelId);
    const card: Card = { dto, el, state, badges, chart, rangeIdx: 0, history: new Map(), live: new Map(), redrawPending: false, title, dispose: () => editor.dispose() };
    rangeSel.addEventListener('change', () => {
      card.rangeIdx = Number(rangeSel.value);
      void loadHistory(card);
    });
    const unwatch = async () => {
      if (!confirm(t('congestion.confirmUnwatch', { id: names.get(dto.channelId) ?? dto.channelId }))) return;
      try {
        await api('DELETE', `/api/channels/${dto.channelId}/watch`);
        el.remove();
        card.dispose();
        cards.delete(dto.channelId);
        empty.hidden = cards.size > 0;
      } catch (e) {
        toast(messageOf(e), 'error');
      }
    };
    el.append(
      h('div', { class: 'toolbar' },
        title,
        h('a', { href: `#/devices/${dto.deviceId}`, class: 'muted' }, t('congestion.device', { id: dto.deviceId })),
        state,
        h('span', { class: 'grow' }),
        rangeSel,
        csv,
        can('watch') && h('button', { class: 'danger', onclick: () => void unwatch() }, t('channels.unwatch')),
      ),
      badges,
      chart.el,
      ...(can('roiEdit') ? [editor.el] : []),
    );
    renderBadges(card, dto.scores);
    cards.set(dto.channelId, card);
    setTitle(card);
    void nameCards(dto.deviceId);
    list.append(el);
    sortCards();
    empty.hidden = true;
    void loadHistory(card);
  };

  const load = async () => {
    try {
      const all = await api<ChannelCongestionDto[]>('GET', '/api/congestion');
      if (disposed) return;
      for (const d of all) {
        const card = cards.get(d.channelId);
        if (!card) addCard(d);
        else {
          card.dto = d;
          card.state.replaceChildren(...stateText(d));
          renderBadges(card, d.scores);
        }
      }
      sortCards();
      empty.hidden = cards.size > 0;
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  };

  const onEvent = (e: GatewayEvent) => {
    if (e.type === 'congestion.score') {
      const card = cards.get(e.data.channelId);
      if (!card) return void load();
      const t = Date.parse(e.data.t) || Date.parse(e.at);
      for (const s of e.data.scores) {
        const arr = card.live.get(s.roi) ?? [];
        arr.push({ t, v: s.index });
        if (arr.length > MAX_LIVE_POINTS) arr.splice(0, arr.length - MAX_LIVE_POINTS);
        card.live.set(s.roi, arr);
      }
      card.dto = { ...card.dto, scores: e.data.scores, scene: e.data.scene ?? card.dto.scene ?? null, updatedAt: e.data.t, state: 'running', error: null };
      card.state.replaceChildren(...stateText(card.dto));
      card.state.className = 'tag state running';
      renderBadges(card, e.data.scores);
      sortCards();
      redraw(card);
    } else if (e.type === 'congestion.forming' || e.type === 'congestion.forming.ended') {
      const card = cards.get(e.data.channelId);
      if (!card) return void load();
      const f = e.type === 'congestion.forming' ? { roi: e.data.roi, since: e.data.at, slopePerMin: e.data.slopePerMin } : null;
      card.dto = { ...card.dto, forming: withForming(card.dto.forming, e.data.roi, f) };
      renderBadges(card, card.dto.scores);
    } else if (e.type === 'congestion.status') {
      const card = cards.get(e.data.channelId);
      if (!card) return void load();
      card.dto = { ...card.dto, state: e.data.state, error: e.data.error };
      card.state.replaceChildren(...stateText(card.dto));
      card.state.className = `tag state ${e.data.state}`;
    }
  };

  root.append(h('section', { class: 'page' }, h('div', { class: 'toolbar' }, h('h1', {}, t('congestion.title')), h('span', { class: 'grow' }), alertOptIns(), h('button', { onclick: () => void load() }, t('common.refresh'))), empty, list));
  void load();
  const off = ctx.events.on(onEvent);
  const offRe = ctx.events.onReconnect(() => void load());
  // Slide the time window even when no score arrives.
  const slide = window.setInterval(() => cards.forEach(redraw), 10_000);
  return () => {
    disposed = true;
    off();
    offRe();
    window.clearInterval(slide);
    for (const c of cards.values()) c.dispose();
  };
}
