import type { StreamDto } from '@gb/contracts';
import { api, messageOf } from '../api';
import type { AppContext } from '../app-context';
import { h, toast } from '../dom';
import { ago } from '../format';

/** How often the list is read again (streams change state within seconds while they start). */
const REFRESH_MS = 2000;

/**
 * Running and recently failed streams (GET /api/streams): state, media figures, and for a failure its catalogue code
 * (DEVICE_REFUSED, MEDIA_NO_RTP, …) with the cause in words. Stop ends a stream (BYE to the device).
 */
export function mountStreams(root: HTMLElement, _ctx: AppContext): () => void {
  const tbody = h('tbody');
  const empty = h('p', { class: 'muted empty-note' }, 'No streams. Play a channel from Devices.');
  const status = h('p', { class: 'muted' });
  root.append(
    h('div', { class: 'card' },
      h('div', { class: 'toolbar' }, h('h2', {}, 'Streams')),
      h('table', { class: 'table streams' },
        h('thead', {}, h('tr', {}, ...['Stream', 'Kind', 'Transport', 'State', 'Viewers', 'Video', 'Bitrate', 'Since', 'Failure', ''].map((t) => h('th', {}, t)))),
        tbody),
      empty, status),
  );
  const row = (s: StreamDto): HTMLTableRowElement => {
    const video = s.codec ? `${s.codec}${s.width ? ` ${s.width}×${s.height}` : ''}${s.audioCodec ? ` + ${s.audioCodec}` : ''}` : '—';
    const failure = s.errorCode
      ? h('span', { class: 'error', title: s.error ?? '' }, h('code', {}, s.errorCode), s.sipStatus ? ` (SIP ${s.sipStatus})` : '', ' ', s.error ?? '')
      : h('span', { class: 'muted' }, '—');
    const stop = h('button', {
      onclick: () =>
        api('DELETE', `/api/streams/${encodeURIComponent(s.streamId)}`)
          .then(() => load())
          .catch((e: unknown) => toast(messageOf(e), 'error')),
    }, s.state === 'failed' ? 'Dismiss' : 'Stop');
    return h('tr', { 'data-stream': s.streamId },
      h('td', {}, h('div', {}, s.channelId), h('div', { class: 'muted' }, s.streamId)),
      h('td', {}, s.kind), h('td', {}, s.transport), h('td', {}, h('span', { class: `state state-${s.state}` }, s.state)),
      h('td', {}, String(s.viewers)), h('td', {}, video), h('td', {}, s.bitrateKbps ? `${s.bitrateKbps} kb/s` : '—'),
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
