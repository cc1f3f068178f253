import type { DeviceAlarmDto, DeviceAlarmPageDto, DeviceAlarmState, GatewayEvent } from '@gb/contracts';
import { api, messageOf } from '../api';
import type { AppContext } from '../app-context';
import { h, toast } from '../dom';
import { localTime } from '../format';
import { hasKey, t } from '../i18n';
import { can } from '../session-role';

/** Alarms one page asks for; "More" fetches the next page after the last row. */
const PAGE_SIZE = 50;
/** GB/T 28181-2016 §A.2.3.1.5 AlarmMethod values with a name. */
const METHODS = ['1', '2', '3', '4', '5', '6', '7'] as const;
const STATES: DeviceAlarmState[] = ['open', 'acknowledged', 'cleared'];

/** The name of an AlarmMethod value (1 phone … 7 other), or the value as sent. */
export function alarmMethodLabel(method: string | null): string {
  if (method === null) return '—';
  const key = `deviceAlarms.method.${method}`;
  return hasKey(key) ? t(key) : method;
}

/**
 * Alarms devices reported (GB/T 28181 §9.4), as stored by the gateway: filters (device, channel, priority, method,
 * state, received from/to), pages of PAGE_SIZE with "More", acknowledge / clear / reset at the device for operators.
 * New alarms and state changes arrive on the event stream (device.alarm, device.alarm.updated).
 */
export function mountDeviceAlarms(root: HTMLElement, ctx: AppContext): () => void {
  const rows = new Map<string, HTMLTableRowElement>();
  const tbody = h('tbody');
  const empty = h('p', { class: 'muted empty-note' }, t('deviceAlarms.empty'));
  const more = h('button', { hidden: true, 'data-action': 'more' }, t('deviceAlarms.more'));
  const field = (name: string, placeholder: string) => h('input', { type: 'text', name, placeholder, maxlength: 20, size: 22, 'aria-label': placeholder, 'data-filter': name });
  const select = (name: string, label: string, options: [string, string][]) =>
    h('select', { name, 'aria-label': label, 'data-filter': name }, h('option', { value: '' }, t('deviceAlarms.any')), ...options.map(([v, text]) => h('option', { value: v }, text)));
  const deviceIn = field('deviceId', t('deviceAlarms.device'));
  const channelIn = field('channelId', t('common.channel'));
  const prioritySel = select('priority', t('deviceAlarms.priority'), ['1', '2', '3', '4'].map((p) => [p, p]));
  const methodSel = select('method', t('deviceAlarms.method'), METHODS.map((m) => [m, alarmMethodLabel(m)]));
  const stateSel = select('state', t('common.state'), STATES.map((s) => [s, t(`deviceAlarms.state.${s}`)]));
  const fromIn = h('input', { type: 'datetime-local', name: 'from', 'aria-label': t('deviceAlarms.from'), 'data-filter': 'from' });
  const toIn = h('input', { type: 'datetime-local', name: 'to', 'aria-label': t('deviceAlarms.to'), 'data-filter': 'to' });
  let cursor: string | null = null;
  let generation = 0;

  const query = (): string => {
    const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
    for (const [k, el] of [['deviceId', deviceIn], ['channelId', channelIn], ['priority', prioritySel], ['method', methodSel], ['state', stateSel]] as const) if (el.value.trim()) q.set(k, el.value.trim());
    for (const [k, el] of [['from', fromIn], ['to', toIn]] as const) if (el.value) q.set(k, String(Math.floor(new Date(el.value).getTime() / 1000)));
    return q.toString();
  };

  /** Does an alarm pushed live belong in the current filtered view? */
  const matches = (a: DeviceAlarmDto): boolean =>
    (!deviceIn.value.trim() || a.deviceId === deviceIn.value.trim()) &&
    (!channelIn.value.trim() || a.channelId === channelIn.value.trim()) &&
    (!prioritySel.value || a.priority === prioritySel.value) &&
    (!methodSel.value || a.method === methodSel.value) &&
    (!stateSel.value || a.state === stateSel.value) &&
    !toIn.value;

  const act = async (a: DeviceAlarmDto, what: 'acknowledge' | 'clear') => {
    try {
      upsert(await api<DeviceAlarmDto>('POST', `/api/device-alarms/${a.id}/${what}`));
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  };

  const resetAtDevice = async (a: DeviceAlarmDto) => {
    try {
      await api('POST', `/api/devices/${a.deviceId}/alarm-reset`, {
        ...(a.channelId !== a.deviceId ? { channelId: a.channelId } : {}),
        ...(a.method && /^[A-Za-z0-9]{1,16}$/.test(a.method) ? { alarmMethod: a.method } : {}),
        ...(a.type && /^[A-Za-z0-9]{1,16}$/.test(a.type) ? { alarmType: a.type } : {}),
      });
      toast(t('deviceAlarms.resetDone', { channel: a.channelId }), 'info');
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  };

  const stateCell = (a: DeviceAlarmDto) =>
    h('td', {},
      h('span', { class: `tag state ${a.state}`, 'data-field': 'state' }, t(`deviceAlarms.state.${a.state}`)),
      a.ackedAt ? h('div', { class: 'muted' }, t('deviceAlarms.ackedBy', { user: a.ackedBy ?? '?', time: localTime(a.ackedAt) })) : null,
      a.clearedAt ? h('div', { class: 'muted' }, t('deviceAlarms.clearedBy', { user: a.clearedBy ?? '?', time: localTime(a.clearedAt) })) : null,
    );

  const actions = (a: DeviceAlarmDto) =>
    can('ack')
      ? h('td', { class: 'buttons' },
          a.state === 'open' ? h('button', { class: 'primary', 'data-action': 'acknowledge', onclick: () => void act(a, 'acknowledge') }, t('deviceAlarms.acknowledge')) : null,
          a.state !== 'cleared' ? h('button', { 'data-action': 'clear', onclick: () => void act(a, 'clear') }, t('deviceAlarms.clear')) : null,
          h('button', { 'data-action': 'reset', title: t('deviceAlarms.resetHint'), onclick: () => void resetAtDevice(a) }, t('deviceAlarms.reset')),
        )
      : h('td', {});

  const renderRow = (a: DeviceAlarmDto) =>
    h('tr', { 'data-alarm-id': a.id, class: a.state === 'open' ? 'alert-open' : '' },
      h('td', {}, localTime(a.receivedAt)),
      h('td', {}, h('a', { href: `#/devices/${a.deviceId}`, class: 'mono' }, a.channelId)),
      h('td', { 'data-field': 'priority' }, a.priority ?? '—'),
      h('td', { 'data-field': 'method' }, alarmMethodLabel(a.method), a.type ? h('span', { class: 'muted' }, ` / ${a.type}`) : null),
      h('td', { 'data-field': 'description' }, a.description ?? '—'),
      h('td', { class: 'muted' }, a.time ?? '—'),
      stateCell(a),
      actions(a),
    );

  function upsert(a: DeviceAlarmDto, prepend = false): void {
    const old = rows.get(a.id);
    if (!old && !prepend) return;
    if (!matches(a)) {
      old?.remove();
      rows.delete(a.id);
    } else {
      const tr = renderRow(a);
      if (old) old.replaceWith(tr);
      else tbody.prepend(tr);
      rows.set(a.id, tr);
    }
    empty.hidden = rows.size > 0;
  }

  const load = async (append: boolean) => {
    const mine = append ? generation : ++generation;
    try {
      const page = await api<DeviceAlarmPageDto>('GET', `/api/device-alarms?${query()}${append && cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      if (mine !== generation) return;
      if (!append) {
        rows.clear();
        tbody.replaceChildren();
      }
      for (const a of page.items) {
        if (rows.has(a.id)) continue;
        const tr = renderRow(a);
        tbody.append(tr);
        rows.set(a.id, tr);
      }
      cursor = page.nextCursor;
      more.hidden = cursor === null;
      empty.hidden = rows.size > 0;
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  };

  const onEvent = (e: GatewayEvent) => {
    if (e.type === 'device.alarm') upsert(e.data, true);
    else if (e.type === 'device.alarm.updated') upsert(e.data);
  };

  more.addEventListener('click', () => void load(true));
  const form = h('form', { class: 'toolbar filters', onsubmit: (e: Event) => { e.preventDefault(); void load(false); } },
    deviceIn, channelIn,
    h('label', {}, t('deviceAlarms.priority'), ' ', prioritySel),
    h('label', {}, t('deviceAlarms.method'), ' ', methodSel),
    h('label', {}, t('common.state'), ' ', stateSel),
    h('label', {}, t('deviceAlarms.from'), ' ', fromIn),
    h('label', {}, t('deviceAlarms.to'), ' ', toIn),
    h('button', { class: 'primary', type: 'submit', 'data-action': 'apply' }, t('deviceAlarms.apply')),
  );
  for (const el of [prioritySel, methodSel, stateSel]) el.addEventListener('change', () => void load(false));
  root.append(
    h('section', { class: 'page' },
      h('div', { class: 'toolbar' }, h('h1', {}, t('deviceAlarms.title')), h('span', { class: 'grow' }), h('button', { onclick: () => void load(false) }, t('common.refresh'))),
      form,
      h('table', { class: 'grid device-alarms' },
        h('thead', {}, h('tr', {}, [t('deviceAlarms.colReceived'), t('common.channel'), t('deviceAlarms.priority'), t('deviceAlarms.method'), t('deviceAlarms.colDescription'), t('deviceAlarms.colDeviceTime'), t('common.state'), ''].map((c) => h('th', {}, c)))),
        tbody,
      ),
      empty,
      more,
    ),
  );
  void load(false);
  const off = ctx.events.on(onEvent);
  const offRe = ctx.events.onReconnect(() => void load(false));
  return () => {
    off();
    offRe();
  };
}
