import type { RegistrationFailureDto, RegistrationFailuresDto } from '@gb/contracts';
import { api, messageOf } from '../api';
import { h, toast } from '../dom';
import { ago, localTime } from '../format';
import { t } from '../i18n';
import { can } from '../session-role';

/**
 * "Registration failures" on the devices page (issue #8 item 7): devices stuck in a 401 loop, refused with 403 or
 * 400, or banned after repeated digest failures, per device ID and source, from GET /api/registration-failures.
 */
export function registrationFailuresPanel(): { element: HTMLElement; load: () => Promise<void> } {
  const tbody = h('tbody');
  const summary = h('span', { class: 'muted', 'data-field': 'failures-summary' });
  const empty = h('p', { class: 'muted empty-note' }, t('failures.empty'));

  const row = (f: RegistrationFailureDto) =>
    h(
      'tr',
      { 'data-failure-device-id': f.deviceId ?? '', class: f.bannedUntil ? 'offline' : '' },
      h('td', { class: 'mono' }, f.deviceId ?? t('failures.unreadable')),
      h('td', { class: 'mono' }, `${f.transport.toUpperCase()} ${f.sourceAddress}`),
      h('td', { class: 'num', title: t('failures.challengesTitle'), 'data-field': 'challenges' }, String(f.challenges)),
      h('td', { class: 'num', 'data-field': 'forbidden' }, String(f.forbidden)),
      h('td', { class: 'num', 'data-field': 'bad-requests' }, String(f.badRequests)),
      h('td', { class: 'num', title: t('failures.droppedTitle') }, String(f.dropped)),
      h('td', { 'data-field': 'last-reason' }, f.lastStatus ? `${f.lastStatus} ` : t('failures.droppedPrefix'), f.lastReason),
      h('td', { title: localTime(f.lastAt), 'data-ago': f.lastAt }, ago(f.lastAt, Date.now())),
      h('td', {}, f.bannedUntil ? t('failures.bannedUntil', { time: localTime(f.bannedUntil) }) : ''),
    );

  const load = async () => {
    try {
      const v = await api<RegistrationFailuresDto>('GET', '/api/registration-failures');
      const n = v.totals;
      summary.textContent = t('failures.summary', {
        unanswered: n.challenge + n.replayed, replayed: n.replayed, forbidden: n.forbidden, bad: n['bad-request'], dropped: n.banned + n['rate-limited'], bans: v.activeBans,
      });
      tbody.replaceChildren(...v.failures.map(row));
      empty.hidden = v.failures.length > 0;
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  };

  const clear = async () => {
    if (!confirm(t('failures.confirmClear'))) return;
    try {
      await api('DELETE', '/api/registration-failures');
      await load();
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  };

  const element = h(
    'section',
    { class: 'page registration-failures' },
    h('div', { class: 'toolbar' }, h('h2', {}, t('failures.title')), summary, h('span', { class: 'grow' }), can('admin') && h('button', { onclick: () => void clear() }, t('failures.liftBans'))),
    h('table', { class: 'grid failures' },
      h('thead', {}, h('tr', {}, [t('common.deviceId'), t('failures.colSource'), '401', '403', '400', t('failures.colDropped'), t('failures.colLastAnswer'), t('failures.colWhen'), t('failures.colBan')].map((c) => h('th', {}, c)))),
      tbody,
    ),
    empty,
  );
  return { element, load };
}
