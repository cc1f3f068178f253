import type { ChannelCongestionDto, ChannelDto, ChannelPageDto, DeviceDto, GatewayEvent } from '@gb/contracts';
import { api, messageOf } from '../api';
import type { AppContext } from '../app-context';
import { h, toast } from '../dom';
import { t } from '../i18n';
import { can } from '../session-role';
import { ChannelPanel, channelLabel } from './channel-panel';
import { flatten, forestByDevice, forestByRegion, isDirectory, isOnline, type ForestNode, type TreeRow } from './channel-forest';
import { VirtualList } from './virtual-list';

/** Pixels per tree row: the virtual list needs one fixed height (style.css `.vlist li`). */
export const TREE_ROW_PX = 34;
/** Channels per GET /api/channels page (the gateway's MAX_CHANNELS_LISTED). */
const PAGE = 5000;
/** The most channels the tree loads; beyond, it says so. */
export const MAX_TREE_CHANNELS = 100_000;
/** Typing settles this long before the rows are recomputed. */
const SEARCH_DEBOUNCE_MS = 120;
/** Catalog changes and device state arrive in bursts: one reload per burst. */
const RELOAD_DEBOUNCE_MS = 1000;

type Grouping = 'device' | 'region';

/**
 * Every channel of every device as one tree (issue #10 item 4): by device and its catalog groups (ParentID), or by
 * administrative region (civil code); online counts on every node; a search that redraws only the rows in view.
 */
export function mountChannelTree(root: HTMLElement, ctx: AppContext): () => void {
  const devices = new Map<string, DeviceDto>();
  let channels: ChannelDto[] = [];
  let forest: ForestNode[] = [];
  const collapsed = new Set<string>();
  const watched = new Set<string>();
  let grouping: Grouping = (localStorage.getItem('gbgw.treeGrouping') as Grouping | null) === 'region' ? 'region' : 'device';
  const panel = new ChannelPanel(ctx, (id) => devices.get(id) ?? null);

  const summary = h('span', { class: 'muted', 'data-field': 'tree-summary' });
  const note = h('p', { class: 'muted', 'data-field': 'tree-note' }, t('tree.loading'));
  const search = h('input', { type: 'search', class: 'filter', placeholder: t('tree.search'), 'aria-label': t('tree.search'), 'data-field': 'tree-search' });
  const groupSel = h('select', { title: t('tree.groupBy'), 'aria-label': t('tree.groupBy'), 'data-field': 'tree-grouping' },
    h('option', { value: 'device', selected: grouping === 'device' }, t('tree.byDevice')),
    h('option', { value: 'region', selected: grouping === 'region' }, t('tree.byRegion')),
  );
  const query = () => search.value.trim().toLowerCase();

  const toggle = (n: ForestNode) => {
    if (collapsed.has(n.key)) collapsed.delete(n.key);
    else collapsed.add(n.key);
    showRows();
  };

  const toggleWatch = async (c: ChannelDto) => {
    try {
      if (watched.has(c.channelId)) {
        await api('DELETE', `/api/channels/${c.channelId}/watch`);
        watched.delete(c.channelId);
        toast(t('channels.watchStopped', { name: channelLabel(c) }));
      } else {
        await api<ChannelCongestionDto>('POST', `/api/channels/${c.channelId}/watch`, { deviceId: c.deviceId });
        watched.add(c.channelId);
        toast(t('channels.watchStarted', { name: channelLabel(c) }));
      }
      list.refresh();
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  };

  const renderRow = (r: TreeRow): HTMLElement => {
    const n = r.node;
    const c = n.channel;
    const expander = r.branch
      ? h('button', { class: 'expander link', 'aria-label': r.expanded ? t('tree.collapse') : t('tree.expand'), title: r.expanded ? t('tree.collapse') : t('tree.expand'), 'aria-expanded': String(r.expanded), onclick: () => toggle(n) }, r.expanded ? '▾' : '▸')
      : h('span', { class: 'expander' });
    const on = n.kind === 'device' ? Boolean(n.device?.online) : n.kind === 'channel' && c ? isOnline(c) : n.on > 0;
    const dotTitle = on ? t('status.online') : t('status.offline');
    const attrs: Record<string, string> = { class: `tree-row kind-${n.kind}`, 'data-key': n.key, 'data-kind': n.kind, style: `padding-left:${r.depth * 18}px` };
    if (c && n.kind === 'channel') attrs['data-channel-id'] = c.channelId;
    if (n.kind === 'device') attrs['data-device-id'] = n.code;
    return h('li', attrs,
      expander,
      h('span', { class: `dot ${on ? 'on' : 'off'}`, title: dotTitle }),
      h('span', { class: 'name' }, n.kind === 'region' && !n.code ? t('tree.unknownRegion') : n.label),
      n.code && n.code !== n.label ? h('span', { class: 'mono muted' }, n.code) : null,
      n.kind !== 'channel' ? h('span', { class: 'tag counts', 'data-field': 'counts', title: t('tree.counts', { on: n.on, total: n.total }) }, `${n.on}/${n.total}`) : null,
      c && watched.has(c.channelId) ? h('a', { class: 'tag watch', href: '#/congestion' }, t('channels.watched')) : null,
      h('span', { class: 'grow' }),
      n.kind === 'device' ? h('a', { href: `#/devices/${n.code}`, class: 'muted' }, t('tree.openDevice')) : null,
      c && n.kind === 'channel'
        ? h('span', { class: 'actions' },
            h('button', { onclick: () => panel.play(c), 'data-action': 'play' }, t('common.play')),
            h('button', { onclick: () => panel.records(c), 'data-action': 'records' }, t('channels.records')),
            can('watch') ? h('button', { onclick: () => void toggleWatch(c), 'data-action': 'watch' }, watched.has(c.channelId) ? t('channels.unwatch') : t('channels.watch')) : null,
          )
        : null,
    );
  };

  const list = new VirtualList<TreeRow>(TREE_ROW_PX, renderRow, { 'data-field': 'channel-vtree' });

  const showRows = () => {
    const q = query();
    const rows = flatten(forest, collapsed, q);
    list.setRows(rows);
    if (q) {
      const n = rows.filter((r) => r.node.kind === 'channel').length;
      note.textContent = n ? t('tree.matches', { n }) : t('tree.noMatch', { q: search.value.trim() });
      note.hidden = false;
    } else {
      note.hidden = channels.length > 0;
      note.textContent = t('tree.empty');
    }
  };

  const rebuild = () => {
    forest = grouping === 'region' ? forestByRegion(channels) : forestByDevice([...devices.values()], channels);
    const on = channels.filter((c) => !isDirectory(c) && isOnline(c)).length;
    const cams = forest.reduce((s, n) => s + n.total, 0);
    summary.textContent = t('tree.summary', { on, total: cams, devices: devices.size });
    showRows();
  };

  let loading: AbortController | null = null;
  const load = async () => {
    loading?.abort();
    const ctrl = (loading = new AbortController());
    try {
      const [ds, cong] = await Promise.all([
        api<DeviceDto[]>('GET', '/api/devices', undefined, ctrl.signal),
        api<ChannelCongestionDto[]>('GET', '/api/congestion', undefined, ctrl.signal).catch(() => [] as ChannelCongestionDto[]),
      ]);
      const all: ChannelDto[] = [];
      let total = Infinity;
      while (all.length < Math.min(total, MAX_TREE_CHANNELS)) {
        const page = await api<ChannelPageDto>('GET', `/api/channels?limit=${PAGE}&offset=${all.length}`, undefined, ctrl.signal);
        total = page.total;
        all.push(...page.items);
        if (!page.items.length) break;
      }
      if (ctrl.signal.aborted) return;
      devices.clear();
      for (const d of ds) devices.set(d.deviceId, d);
      watched.clear();
      for (const w of cong) watched.add(w.channelId);
      channels = all;
      rebuild();
      if (total > all.length) toast(t('tree.truncated', { n: all.length }), 'error');
    } catch (e) {
      if ((e as Error).name === 'AbortError') return;
      note.hidden = false;
      note.textContent = messageOf(e);
    }
  };

  let searchTimer: number | undefined;
  search.addEventListener('input', () => {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(showRows, SEARCH_DEBOUNCE_MS);
  });
  groupSel.addEventListener('change', () => {
    grouping = groupSel.value === 'region' ? 'region' : 'device';
    localStorage.setItem('gbgw.treeGrouping', grouping);
    rebuild();
  });

  let reloadTimer: number | undefined;
  const onEvent = (e: GatewayEvent) => {
    if (e.type === 'catalog.updated' || e.type === 'catalog.changed' || e.type === 'device.online' || e.type === 'device.offline') {
      window.clearTimeout(reloadTimer);
      reloadTimer = window.setTimeout(() => void load(), RELOAD_DEBOUNCE_MS);
    }
  };

  root.append(
    h('section', { class: 'page' },
      h('div', { class: 'toolbar' }, h('h1', {}, t('tree.title')), summary, h('span', { class: 'grow' }), groupSel, search),
      h('div', { class: 'split' }, h('div', { class: 'tree' }, note, list.el), panel.el),
    ),
  );
  void load();
  const off = ctx.events.on(onEvent);
  return () => {
    off();
    loading?.abort();
    window.clearTimeout(searchTimer);
    window.clearTimeout(reloadTimer);
    list.dispose();
    panel.close();
  };
}
