import type { CatalogProgressDto, DeviceCharset, DeviceDto, GatewayEvent, StreamTransport } from '@gb/contracts';
import { api, messageOf } from '../api';
import type { AppContext } from '../app-context';
import { h, toast } from '../dom';
import { ago, localTime } from '../format';
import { t } from '../i18n';
import { deviceName } from '../proxies/proxy-form';
import { can } from '../session-role';
import { registrationFailuresPanel } from './registration-failures.panel';
import { openDeviceControl } from './device-control.dialog';

const CHARSETS: DeviceCharset[] = ['auto', 'GB2312', 'GBK', 'GB18030', 'UTF-8'];
const TRANSPORTS: StreamTransport[] = ['udp', 'tcp-passive', 'tcp-active'];
/** lastKeepaliveAt is not pushed as an event: the list is refetched this often. */
const REFRESH_MS = 15_000;

/** The device list: online dots, live updates from the event stream, catalog re-sync with progress, edit, delete. */
export function mountDevices(root: HTMLElement, ctx: AppContext): () => void {
  const devices = new Map<string, DeviceDto>();
  const rows = new Map<string, HTMLTableRowElement>();
  const progress = new Map<string, CatalogProgressDto | { deviceId: string; received: number; sumNum: number; done: boolean; sn: number }>();
  const tbody = h('tbody');
  const summary = h('span', { class: 'muted', 'data-field': 'summary' });
  const filter = h('input', { type: 'search', placeholder: t('devices.filter'), class: 'filter' });
  const empty = h('p', { class: 'muted empty-note' }, t('devices.empty'));
  const dialog = h('dialog', { class: 'card' });
  const failures = registrationFailuresPanel();

  const matches = (d: DeviceDto) => {
    const q = filter.value.trim().toLowerCase();
    return !q || [d.deviceId, d.name, d.remoteAddress, d.manufacturer, d.model].some((v) => v?.toLowerCase().includes(q));
  };

  const renderRow = (d: DeviceDto): HTMLTableRowElement => {
    const p = progress.get(d.deviceId);
    const pct = p && p.sumNum ? Math.min(100, Math.round((p.received / p.sumNum) * 100)) : 0;
    const bar = p
      ? h('div', { class: 'progress', title: t('devices.catalogProgress', { received: p.received, sum: p.sumNum || '?' }), 'data-field': 'catalog-progress' }, h('div', { style: `width:${pct}%` }))
      : null;
    const tr = h(
      'tr',
      { 'data-device-id': d.deviceId, 'data-online': String(d.online), class: d.online ? '' : 'offline' },
      h('td', {}, h('span', { class: `dot ${d.online ? 'on' : 'off'}`, 'data-field': 'online', title: d.online ? t('status.online') : t('status.offline') }), d.online ? t('status.online') : t('status.offline')),
      h('td', { class: 'mono' }, h('a', { href: `#/devices/${d.deviceId}` }, d.deviceId)),
      h('td', {}, deviceName(d) ?? ''),
      h('td', {}, h('span', { class: 'tag' }, d.transport.toUpperCase()), ' ', h('span', { class: 'tag muted', title: t('devices.mediaTransport') }, t(`transport.${d.streamTransport}`))),
      // With several gateway nodes, the one the device registered with (it serves its video and answers for it).
      h('td', { class: 'mono' }, d.remoteAddress ?? '', d.node ? h('span', { class: 'tag muted', title: t('devices.node'), 'data-field': 'node' }, ` ${d.node}`) : null),
      h('td', {}, [d.manufacturer, d.model].filter(Boolean).join(' / ')),
      h('td', { class: 'num' }, h('a', { href: `#/devices/${d.deviceId}`, 'data-field': 'channels' }, String(d.channelCount)), bar),
      h('td', { title: localTime(d.lastKeepaliveAt), 'data-ago': d.lastKeepaliveAt ?? '' }, ago(d.lastKeepaliveAt, Date.now())),
      h(
        'td',
        { class: 'actions' },
        !d.virtual && can('catalogSync') && h('button', { onclick: () => void sync(d.deviceId), disabled: !d.online || (p ? !p.done : false), title: t('devices.syncTitle') }, t('devices.sync')),
        !d.virtual && can('deviceEdit') && h('button', { onclick: () => edit(d) }, t('common.edit')),
        !d.virtual && can('deviceDelete') && h('button', { class: 'danger', onclick: () => void remove(d) }, t('common.delete')),
        // Last, so the buttons before it keep their places.
        !d.virtual && can('ptz') && h('button', { onclick: () => openDeviceControl(dialog, d), disabled: !d.online, 'data-action': 'device-control' }, t('deviceControl.open')),
      ),
    );
    tr.hidden = !matches(d);
    return tr;
  };

  const upsert = (d: DeviceDto) => {
    devices.set(d.deviceId, d);
    const tr = renderRow(d);
    const old = rows.get(d.deviceId);
    if (old) old.replaceWith(tr);
    else tbody.append(tr);
    rows.set(d.deviceId, tr);
    refreshSummary();
  };

  const refreshSummary = () => {
    const all = [...devices.values()];
    summary.textContent = t('devices.summary', { online: all.filter((d) => d.online).length, total: all.length });
    empty.hidden = all.length > 0;
  };

  const load = async () => {
    void failures.load();
    try {
      const list = await api<DeviceDto[]>('GET', '/api/devices');
      const seen = new Set(list.map((d) => d.deviceId));
      for (const id of [...devices.keys()]) if (!seen.has(id)) drop(id);
      for (const d of list) upsert(d);
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  };

  const drop = (id: string) => {
    devices.delete(id);
    rows.get(id)?.remove();
    rows.delete(id);
    refreshSummary();
  };

  const patch = (id: string, change: Partial<DeviceDto>) => {
    const d = devices.get(id);
    if (d) upsert({ ...d, ...change });
    else void load();
  };

  const sync = async (id: string) => {
    progress.set(id, { deviceId: id, sn: 0, received: 0, sumNum: 0, done: false });
    patch(id, {});
    try {
      await api('POST', `/api/devices/${id}/catalog`);
    } catch (e) {
      progress.delete(id);
      patch(id, {});
      toast(messageOf(e), 'error');
    }
  };

  const remove = async (d: DeviceDto) => {
    if (!confirm(t('devices.confirmDelete', { label: `${d.deviceId}${d.name ? ` (${d.name})` : ''}` }))) return;
    try {
      await api('DELETE', `/api/devices/${d.deviceId}`);
      drop(d.deviceId);
      toast(t('devices.deleted', { id: d.deviceId }));
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  };

  const edit = (d: DeviceDto) => {
    const name = h('input', { name: 'name', value: d.name ?? '', maxlength: 128 });
    const password = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', maxlength: 64, placeholder: d.hasPassword ? t('devices.editUnchanged') : t('devices.editGatewayDefault') });
    const clearPw = h('input', { type: 'checkbox', name: 'clearPassword' });
    const charset = h('select', { name: 'charset' }, CHARSETS.map((c) => h('option', { value: c, selected: c === d.charset }, c === 'auto' ? t('charset.auto') : c)));
    const transport = h('select', { name: 'streamTransport' }, TRANSPORTS.map((tr) => h('option', { value: tr, selected: tr === d.streamTransport }, t(`transport.${tr}`))));
    const error = h('p', { class: 'error', role: 'alert' });
    const form = h(
      'form',
      { method: 'dialog' },
      h('h2', {}, t('devices.editTitle', { id: d.deviceId })),
      h('label', {}, t('common.name'), name),
      h('label', {}, t('devices.editPassword'), password),
      d.hasPassword ? h('label', { class: 'inline' }, clearPw, ' ', t('devices.editClearPassword')) : null,
      h('label', {}, t('devices.editCharset'), charset),
      h('label', {}, t('devices.editTransport'), transport),
      error,
      h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: () => dialog.close() }, t('common.cancel')), h('button', { type: 'submit', class: 'primary' }, t('common.save'))),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const body: Record<string, unknown> = {};
      if (name.value !== (d.name ?? '')) body.name = name.value;
      if (clearPw.checked) body.password = null;
      else if (password.value) body.password = password.value;
      if (charset.value !== d.charset) body.charset = charset.value;
      if (transport.value !== d.streamTransport) body.streamTransport = transport.value;
      if (!Object.keys(body).length) return dialog.close();
      api<DeviceDto>('PATCH', `/api/devices/${d.deviceId}`, body)
        .then((updated) => {
          upsert(updated);
          dialog.close();
          toast(t('devices.saved', { id: d.deviceId }));
        })
        .catch((err: unknown) => (error.textContent = messageOf(err)));
    });
    dialog.replaceChildren(form);
    dialog.showModal();
  };

  const onEvent = (e: GatewayEvent) => {
    switch (e.type) {
      case 'device.online':
        return patch(e.data.deviceId, { online: true, remoteAddress: e.data.remoteAddress });
      case 'device.offline':
        if (e.data.reason === 'deleted') return drop(e.data.deviceId);
        return patch(e.data.deviceId, { online: false });
      case 'device.registered':
        return upsert(e.data);
      case 'catalog.progress':
        progress.set(e.data.deviceId, e.data);
        return patch(e.data.deviceId, {});
      case 'catalog.updated': {
        const p = progress.get(e.data.deviceId);
        if (p) progress.set(e.data.deviceId, { ...p, received: p.sumNum || 1, sumNum: p.sumNum || 1, done: true });
        patch(e.data.deviceId, { channelCount: e.data.channelCount, catalogSyncedAt: e.at });
        window.setTimeout(() => {
          progress.delete(e.data.deviceId);
          patch(e.data.deviceId, {});
        }, 1500);
        if (!e.data.complete) toast(t('devices.catalogIncomplete', { id: e.data.deviceId }), 'error');
        return;
      }
      default:
        return;
    }
  };

  filter.addEventListener('input', () => {
    for (const [id, tr] of rows) tr.hidden = !matches(devices.get(id)!);
  });

  root.append(
    h('section', { class: 'page' },
      h('div', { class: 'toolbar' }, h('h1', {}, t('devices.title')), summary, h('span', { class: 'grow' }), filter, h('button', { onclick: () => void load() }, t('common.refresh'))),
      h('table', { class: 'grid devices' },
        h('thead', {}, h('tr', {}, [t('common.state'), t('common.deviceId'), t('common.name'), t('common.transport'), t('devices.colAddress'), t('devices.colVendor'), t('devices.colChannels'), t('devices.colKeepalive'), ''].map((c) => h('th', {}, c)))),
        tbody,
      ),
      empty,
      dialog,
    ),
    failures.element,
  );
  refreshSummary();
  void load();
  const offEvents = ctx.events.on(onEvent);
  const offReconnect = ctx.events.onReconnect(() => void load());
  const tick = window.setInterval(() => {
    for (const td of tbody.querySelectorAll<HTMLElement>('td[data-ago]')) td.textContent = ago(td.dataset.ago || null, Date.now());
  }, 5000);
  const refresh = window.setInterval(() => void load(), REFRESH_MS);
  return () => {
    offEvents();
    offReconnect();
    window.clearInterval(tick);
    window.clearInterval(refresh);
  };
}
