import type { StreamDto } from '@gb/contracts';
import { api, explainCode, messageOf } from '../api';
import type { AppContext } from '../app-context';
import { h, toast } from '../dom';
import { ago } from '../format';
import { getLocale, hasKey, t } from '../i18n';

/** A state or kind in words, or the value itself when the catalogue does not know it. */
function word(key: string, raw: string): string {
  return hasKey(key) ? t(key) : raw;
}

/** English shows the gateway's cause as it is (with addresses and figures); other languages the code's explanation. */
function failureText(code: string, error: string | null): string {
  const explained = explainCode(code);
  return (getLocale() === 'en' ? error : (explained ?? error)) ?? '';
}

/** How often the list is read again (streams change state within seconds while they start). */
const REFRESH_MS = 2000;

/**
 * Running and recently failed streams (GET /api/streams): state, media figures, and for a failure its catalogue code
 * (DEVICE_REFUSED, MEDIA_NO_RTP, …) with the cause in words. Stop ends a stream (BYE to the device).
 */
export function mountStreams(root: HTMLElement, _ctx: AppContext): () => void {
  const tbody = h('tbody');
  const empty = h('p', { class: 'muted empty-note' }, t('streams.empty'));
  const status = h('p', { class: 'muted' });
  root.append(
    h('div', { class: 'card' },
      h('div', { class: 'toolbar' }, h('h2', {}, t('streams.title'))),
      h('table', { class: 'table streams' },
        h('thead', {}, h('tr', {}, ...[t('streams.colStream'), t('streams.colKind'), t('common.transport'), t('common.state'), t('streams.colViewers'), t('streams.colVideo'), t('streams.colBitrate'), t('streams.colSince'), t('streams.colFailure'), ''].map((c) => h('th', {}, c)))),
        tbody),
      empty, status),
  );
  const row = (s: StreamDto): HTMLTableRowElement => {
    const video = s.codec ? `${s.codec}${s.width ? ` ${s.width}×${s.height}` : ''}${s.audioCodec ? ` + ${s.audioCodec}` : ''}` : '—';
    const failure = s.errorCode
      ? h('span', { class: 'error', title: s.error ?? '' }, h('code', {}, s.errorCode), ' ', s.sipStatus ? t('streams.sip', { status: String(s.sipStatus) }) : '', ' ', failureText(s.errorCode, s.error))
      : h('span', { class: 'muted' }, '—');
    const stop = h('button', {
      onclick: () =>
        api('DELETE', `/api/streams/${encodeURIComponent(s.streamId)}`)
          .then(() => load())
          .catch((e: unknown) => toast(messageOf(e), 'error')),
    }, s.state === 'failed' ? t('streams.dismiss') : t('streams.stop'));
    return h('tr', { 'data-stream': s.streamId },
      h('td', {}, h('div', {}, s.channelId), h('div', { class: 'muted' }, s.streamId)),
      h('td', {}, word(`kind.${s.kind}`, s.kind)), h('td', {}, word(`transport.${s.transport}`, s.transport)), h('td', {}, h('span', { class: `state state-${s.state}` }, word(`streamState.${s.state}`, s.state))),
      h('td', {}, String(s.viewers)), h('td', {}, video), h('td', {}, s.bitrateKbps ? t('streams.bitrate', { n: s.bitrateKbps }) : '—'),
      h('td', {}, ago(s.since, Date.now())), h('td', {}, failure), h('td', {}, stop));
  };
  const load = () =>
    api<StreamDto[]>('GET', '/api/streams')
      .then((list) => {
        tbody.replaceChildren(...list.map(row));
        empty.hidden = list.length > 0;
        status.textContent = '';
      })
      .catch((e: unknown) => {
        status.textContent = messageOf(e);
      });
  void load();
  const timer = setInterval(() => void load(), REFRESH_MS);
  return () => clearInterval(timer);
}
