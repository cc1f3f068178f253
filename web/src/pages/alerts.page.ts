import type { AlertDto, GatewayEvent } from '@gb/contracts';
import { api, apiBlob, messageOf } from '../api';
import type { AppContext } from '../app-context';
import { h, toast } from '../dom';
import { localTime } from '../format';
import { levelBadge } from './congestion.page';
import { t, type MessageKey } from '../i18n';
import { alertOptIns } from '../alert-notify';
import { can } from '../session-role';

/** The gateway's bound on an ack comment (apps/gateway/src/congestion/congestion.dto.ts MAX_ACK_COMMENT_CHARS). */
const MAX_ACK_COMMENT_CHARS = 500;

/** The nav badge: active alerts not yet acknowledged, kept current from the event stream. */
export function watchAlertCount(ctx: AppContext, badge: HTMLElement): () => void {
  const open = new Set<string>();
  const show = () => {
    badge.textContent = String(open.size);
    badge.hidden = open.size === 0;
  };
  const load = () =>
    api<AlertDto[]>('GET', '/api/alerts?state=active&limit=1000')
      .then((list) => {
        open.clear();
        for (const a of list) if (!a.ackedAt) open.add(a.id);
        show();
      })
      .catch(() => undefined);
  const off = ctx.events.on((e) => {
    if (e.type === 'alert.raised' && !e.data.ackedAt) open.add(e.data.id);
    else if (e.type === 'alert.cleared' || e.type === 'alert.acked') open.delete(e.data.id);
    else return;
    show();
  });
  const offRe = ctx.events.onReconnect(() => void load());
  void load();
  return () => {
    off();
    offRe();
    badge.hidden = true;
  };
}

/** Congestion alerts, newest first: level, peak, state, snapshot thumbnail (fetched with the token), ack. */
export function mountAlerts(root: HTMLElement, ctx: AppContext): () => void {
  const alerts = new Map<string, AlertDto>();
  const rows = new Map<string, HTMLTableRowElement>();
  const thumbs = new Map<string, string>();
  const tbody = h('tbody');
  const stateSel = h('select', {}, h('option', { value: '' }, t('alerts.all')), h('option', { value: 'active' }, t('alertState.active')), h('option', { value: 'cleared' }, t('alertState.cleared')));
  const empty = h('p', { class: 'muted empty-note' }, t('alerts.empty'));
  const viewer = h('dialog', { class: 'card viewer' });
  const ctrl = new AbortController();

  const thumb = (a: AlertDto): HTMLElement => {
    if (!a.snapshotUrl) return h('span', { class: 'muted' }, '—');
    const img = h('img', { class: 'thumb', alt: t('alerts.snapshotAlt', { id: a.id }) });
    const cached = thumbs.get(a.id);
    if (cached) img.src = cached;
    else
      apiBlob(a.snapshotUrl, ctrl.signal)
        .then((b) => {
          const url = URL.createObjectURL(b);
          thumbs.set(a.id, url);
          img.src = url;
        })
        .catch(() => img.replaceWith(h('span', { class: 'muted' }, t('alerts.unavailable'))));
    img.addEventListener('click', () => {
      if (!img.src) return;
      viewer.replaceChildren(h('img', { src: img.src, alt: img.alt }), h('p', { class: 'muted' }, t('alerts.snapshotLegend')), h('div', { class: 'buttons' }, h('button', { onclick: () => viewer.close() }, t('common.close'))));
      viewer.showModal();
    });
    return img;
  };

  const ack = async (a: AlertDto, comment: string) => {
    try {
      upsert(await api<AlertDto>('POST', `/api/alerts/${a.id}/ack`, comment.trim() ? { comment: comment.trim() } : {}));
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  };

  /** Ack with an optional comment (the gateway keeps up to MAX_ACK_COMMENT_CHARS). */
  const ackForm = (a: AlertDto) => {
    const comment = h('input', { type: 'text', maxlength: MAX_ACK_COMMENT_CHARS, placeholder: t('alerts.commentPlaceholder'), 'aria-label': t('alerts.comment'), 'data-field': 'ack-comment' });
    return h('form', { class: 'ack-form', onsubmit: (e: Event) => { e.preventDefault(); void ack(a, comment.value); } }, comment, h('button', { class: 'primary', type: 'submit' }, t('alerts.ack')));
  };

  /** The onset warning's lead over the alert ("warned 45 s before"), when one preceded it. */
  const lead = (a: AlertDto) => {
    if (a.leadS === null || a.leadS === undefined) return null;
    const key: MessageKey = a.leadS >= 0 ? 'alerts.warnedBefore' : 'alerts.warnedAfter';
    return h('div', { class: 'muted alert-lead', 'data-field': 'alert-lead', title: a.warnedAt ? localTime(a.warnedAt) : '' }, t(key, { n: Math.abs(a.leadS) }));
  };

  const renderRow = (a: AlertDto) =>
    h('tr', { 'data-alert-id': a.id, class: a.state === 'active' && !a.ackedAt ? 'alert-open' : '' },
      h('td', {}, localTime(a.raisedAt), lead(a)),
      h('td', {}, h('a', { href: `#/devices/${a.deviceId}`, class: 'mono' }, a.channelId)),
      h('td', {}, a.roi),
      h('td', {}, levelBadge(a.level, a.peakIndex)),
      h('td', {}, h('span', { class: `tag state ${a.state}` }, t(`alertState.${a.state}`)), a.clearedAt ? h('div', { class: 'muted' }, localTime(a.clearedAt)) : null),
      h('td', {}, thumb(a)),
      h('td', {}, a.ackedAt ? [h('span', { class: 'muted' }, t('alerts.acked', { user: a.ackedBy ?? '?', time: localTime(a.ackedAt) })), a.ackComment ? h('div', { class: 'ack-comment' }, a.ackComment) : null] : can('ack') ? ackForm(a) : null),
    );

  const upsert = (a: AlertDto, prepend = false) => {
    if (stateSel.value && a.state !== stateSel.value) {
      rows.get(a.id)?.remove();
      rows.delete(a.id);
      alerts.delete(a.id);
    } else {
      alerts.set(a.id, a);
      const tr = renderRow(a);
      const old = rows.get(a.id);
      if (old) old.replaceWith(tr);
      else if (prepend) tbody.prepend(tr);
      else tbody.append(tr);
      rows.set(a.id, tr);
    }
    empty.hidden = alerts.size > 0;
  };

  const load = async () => {
    try {
      const list = await api<AlertDto[]>('GET', `/api/alerts?limit=200${stateSel.value ? `&state=${stateSel.value}` : ''}`);
      alerts.clear();
      rows.clear();
      tbody.replaceChildren();
      for (const a of list) upsert(a);
      empty.hidden = alerts.size > 0;
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  };

  const onEvent = (e: GatewayEvent) => {
    if (e.type === 'alert.raised') upsert(e.data, true);
    else if (e.type === 'alert.cleared' || e.type === 'alert.acked') upsert(e.data);
  };

  stateSel.addEventListener('change', () => void load());
  root.append(
    h('section', { class: 'page' },
      h('div', { class: 'toolbar' }, h('h1', {}, t('alerts.title')), h('span', { class: 'grow' }), alertOptIns(), h('label', {}, t('alerts.stateFilter'), ' ', stateSel), h('button', { onclick: () => void load() }, t('common.refresh'))),
      h('table', { class: 'grid alerts' }, h('thead', {}, h('tr', {}, [t('alerts.colRaised'), t('common.channel'), t('alerts.colRoi'), t('alerts.colPeak'), t('common.state'), t('common.snapshot'), ''].map((c) => h('th', {}, c)))), tbody),
      empty,
      viewer,
    ),
  );
  void load();
  const off = ctx.events.on(onEvent);
  const offRe = ctx.events.onReconnect(() => void load());
  return () => {
    off();
    offRe();
    ctrl.abort();
    for (const u of thumbs.values()) URL.revokeObjectURL(u);
  };
}
