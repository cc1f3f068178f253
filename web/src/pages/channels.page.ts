import type { ChannelCongestionDto, ChannelDto, DeviceDto, GatewayEvent } from '@gb/contracts';
import { api, messageOf } from '../api';
import type { AppContext } from '../app-context';
import { buildChannelTree, type TreeNode } from '../channel-tree';
import { h, toast } from '../dom';
import { t } from '../i18n';
import { can } from '../session-role';
import { ChannelPanel, channelLabel } from '../tree/channel-panel';
import { deviceName } from '../proxies/proxy-form';

/** One device's channels as a tree (ParentID), each with Play, Snapshot, Records and Watch congestion. */
export function mountChannels(root: HTMLElement, ctx: AppContext, [deviceId]: string[]): () => void {
  const id = deviceId!;
  const title = h('h1', {}, t('channels.title', { id }));
  const meta = h('span', { class: 'muted' });
  const treeEl = h('div', { class: 'tree', 'data-field': 'channel-tree' }, h('p', { class: 'muted' }, t('channels.loading')));
  const watched = new Set<string>();
  let channels: ChannelDto[] = [];
  let device: DeviceDto | null = null;

  const channelPanel = new ChannelPanel(ctx, () => device);
  const panel = channelPanel.el;
  const play = (c: ChannelDto) => channelPanel.play(c);
  const snapshot = (c: ChannelDto) => channelPanel.snapshot(c);
  const records = (c: ChannelDto) => channelPanel.records(c);
  const label = channelLabel;

  const toggleWatch = async (c: ChannelDto) => {
    try {
      if (watched.has(c.channelId)) {
        await api('DELETE', `/api/channels/${c.channelId}/watch`);
        watched.delete(c.channelId);
        toast(t('channels.watchStopped', { name: label(c) }));
      } else {
        await api<ChannelCongestionDto>('POST', `/api/channels/${c.channelId}/watch`, { deviceId: id });
        watched.add(c.channelId);
        toast(t('channels.watchStarted', { name: label(c) }));
      }
      renderTree();
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  };

  const renderNode = (n: TreeNode<ChannelDto>): HTMLLIElement => {
    const c = n.item;
    const on = c.status?.toUpperCase() === 'ON';
    // A directory item (region, business group, virtual organisation, platform, NVR node): a tag, no actions.
    const directory = c.isDirectory && c.kind !== 'channel' ? c.kind : null;
    const row = h(
      'div',
      { class: 'node', 'data-channel-id': c.channelId, 'data-kind': c.kind },
      directory ? null : h('span', { class: `dot ${on ? 'on' : 'off'}`, title: t('channels.status', { status: on ? t('status.online') : c.status?.toUpperCase() === 'OFF' ? t('status.offline') : (c.status ?? '?') }) }),
      h('span', { class: 'name' }, label(c)),
      h('span', { class: 'mono muted' }, c.channelId),
      directory ? h('span', { class: 'tag', 'data-field': 'kind' }, t(`channels.kind.${directory}`)) : null,
      watched.has(c.channelId) ? h('a', { class: 'tag watch', href: '#/congestion' }, t('channels.watched')) : null,
      h('span', { class: 'grow' }),
      directory ? null : h('span', { class: 'actions' },
        h('button', { onclick: () => play(c), 'data-action': 'play' }, t('common.play')),
        can('snapshot') ? h('button', { onclick: () => snapshot(c), 'data-action': 'snapshot' }, t('common.snapshot')) : null,
        h('button', { onclick: () => records(c), 'data-action': 'records' }, t('channels.records')),
        can('watch') ? h('button', { onclick: () => void toggleWatch(c), 'data-action': 'watch' }, watched.has(c.channelId) ? t('channels.unwatch') : t('channels.watch')) : null,
      ),
    );
    if (!n.children.length) return h('li', {}, row);
    const details = h('details', { open: true }, h('summary', {}, row), h('ul', {}, n.children.map(renderNode)));
    return h('li', {}, details);
  };

  const renderTree = () => {
    if (!channels.length) {
      treeEl.replaceChildren(h('p', { class: 'muted' }, device?.online ? t('channels.emptyOnline') : t('channels.emptyOffline')));
      return;
    }
    treeEl.replaceChildren(h('ul', { class: 'root' }, buildChannelTree(channels).map(renderNode)));
  };

  const load = async () => {
    try {
      const [d, list, cong] = await Promise.all([
        api<DeviceDto>('GET', `/api/devices/${id}`),
        api<ChannelDto[]>('GET', `/api/devices/${id}/channels`),
        api<ChannelCongestionDto[]>('GET', '/api/congestion').catch(() => [] as ChannelCongestionDto[]),
      ]);
      device = d;
      channels = list;
      watched.clear();
      for (const w of cong) if (w.deviceId === id) watched.add(w.channelId);
      title.replaceChildren(h('span', { class: `dot ${d.online ? 'on' : 'off'}`, 'data-field': 'online' }), deviceName(d) || d.deviceId);
      meta.textContent = t('channels.meta', { id: d.deviceId, vendor: [d.manufacturer, d.model].filter(Boolean).join(' '), n: list.filter((c) => !c.isDirectory).length });
      renderTree();
    } catch (e) {
      treeEl.replaceChildren(h('p', { class: 'error' }, messageOf(e)));
    }
  };

  const sync = async () => {
    try {
      await api('POST', `/api/devices/${id}/catalog`);
      toast(t('channels.catalogSent'));
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  };

  const onEvent = (e: GatewayEvent) => {
    if ((e.type === 'catalog.updated' || e.type === 'catalog.changed') && e.data.deviceId === id) void load();
    if ((e.type === 'device.online' || e.type === 'device.offline') && e.data.deviceId === id) void load();
  };

  root.append(
    h('section', { class: 'page' },
      h('div', { class: 'toolbar' }, h('a', { href: '#/devices', class: 'back' }, t('channels.back')), title, meta, h('span', { class: 'grow' }), can('catalogSync') ? h('button', { onclick: () => void sync(), 'data-action': 'catalog-sync' }, t('devices.sync')) : null),
      h('div', { class: 'split' }, treeEl, panel),
    ),
  );
  void load();
  const off = ctx.events.on(onEvent);
  return () => {
    off();
    channelPanel.close();
  };
}
