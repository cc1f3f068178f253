import type { RegistrationFailureDto, RegistrationFailuresDto } from '@gb/contracts';
import { api, messageOf } from '../api';
import { h, toast } from '../dom';
import { ago, localTime } from '../format';

/**
 * "Registration failures" on the devices page (issue #8 item 7): devices stuck in a 401 loop, refused with 403 or
 * 400, or banned after repeated digest failures, per device ID and source, from GET /api/registration-failures.
 */
export function registrationFailuresPanel(): { element: HTMLElement; load: () => Promise<void> } {
  const tbody = h('tbody');
  const summary = h('span', { class: 'muted', 'data-field': 'failures-summary' });
  const empty = h('p', { class: 'muted empty-note' }, 'No signalling failures: every device that tried has authenticated.');

  const row = (f: RegistrationFailureDto) =>
    h(
      'tr',
      { 'data-failure-device-id': f.deviceId ?? '', class: f.bannedUntil ? 'offline' : '' },
      h('td', { class: 'mono' }, f.deviceId ?? '(unreadable)'),
      h('td', { class: 'mono' }, `${f.transport.toUpperCase()} ${f.sourceAddress}`),
      h('td', { class: 'num', title: 'challenges never answered correctly (replays included)', 'data-field': 'challenges' }, String(f.challenges)),
      h('td', { class: 'num', 'data-field': 'forbidden' }, String(f.forbidden)),
      h('td', { class: 'num', 'data-field': 'bad-requests' }, String(f.badRequests)),
      h('td', { class: 'num', title: 'dropped unanswered while banned' }, String(f.dropped)),
      h('td', { 'data-field': 'last-reason' }, f.lastStatus ? `${f.lastStatus} ` : 'dropped: ', f.lastReason),
      h('td', { title: localTime(f.lastAt), 'data-ago': f.lastAt }, ago(f.lastAt, Date.now())),
      h('td', {}, f.bannedUntil ? `banned until ${localTime(f.bannedUntil)}` : ''),
    );

  const load = async () => {
    try {
      const v = await api<RegistrationFailuresDto>('GET', '/api/registration-failures');
      const t = v.totals;
      summary.textContent =
        `since start: ${t.challenge + t.replayed} unanswered 401s (${t.replayed} replays), ${t.forbidden} 403s, ${t['bad-request']} 400s, ` +
        `${t.banned + t['rate-limited']} dropped; ${v.activeBans} bans in force`;
      tbody.replaceChildren(...v.failures.map(row));
      empty.hidden = v.failures.length > 0;
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  };

  const clear = async () => {
    if (!confirm('Lift every ban and empty this table? Do it after fixing a device password.')) return;
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
    h('div', { class: 'toolbar' }, h('h2', {}, 'Registration failures'), summary, h('span', { class: 'grow' }), h('button', { onclick: () => void clear() }, 'Lift bans')),
    h('table', { class: 'grid failures' },
      h('thead', {}, h('tr', {}, ['Device ID', 'Source', '401', '403', '400', 'Dropped', 'Last answer', 'When', 'Ban'].map((c) => h('th', {}, c)))),
      tbody,
    ),
    empty,
  );
  return { element, load };
}
