import type { ChannelCongestionDto, ChannelDto, DeviceDto, GatewayEvent, StreamTransport } from '@gb/contracts';
import { api, apiBlob, messageOf } from '../api';
import type { AppContext } from '../app-context';
import type { StreamDto } from '../api-types';
import { buildChannelTree, type TreeNode } from '../channel-tree';
import { h, toast } from '../dom';
import { InlinePlayer, type PlayMode } from '../player';
import { formatDateTime, t } from '../i18n';
import { mountRecordsPanel } from './records.panel';

/** One device's channels as a tree (ParentID), each with Play, Snapshot, Records and Watch congestion. */
export function mountChannels(root: HTMLElement, ctx: AppContext, [deviceId]: string[]): () => void {
  const id = deviceId!;
  const title = h('h1', {}, t('channels.title', { id }));
  const meta = h('span', { class: 'muted' });
  const treeEl = h('div', { class: 'tree', 'data-field': 'channel-tree' }, h('p', { class: 'muted' }, t('channels.loading')));
  const panel = h('div', { class: 'panel' }, h('p', { class: 'muted hint' }, t('channels.hint')));
  const watched = new Set<string>();
  let channels: ChannelDto[] = [];
  let closePanel: (() => void) | null = null;
  let preferredMode: PlayMode = 'hls';
  let device: DeviceDto | null = null;

  const setPanel = (content: HTMLElement, onClose?: () => void) => {
    closePanel?.();
    closePanel = onClose ?? null;
    panel.replaceChildren(content);
  };

  const label = (c: ChannelDto) => c.name || c.channelId;

  /** Pan/tilt/zoom buttons: move while pressed, stop on release; presets by number. Fixed cameras (PTZType 3) get none. */
  const ptzPad = (c: ChannelDto) => {
    const send = (body: Record<string, unknown>) =>
      api('POST', `/api/devices/${id}/channels/${c.channelId}/ptz`, body).catch((e: unknown) => toast(t('ptz.error', { message: messageOf(e) }), 'error'));
    const hold = (text: string, dir: string, title: string, move: Record<string, number>) => {
      const b = h('button', { class: 'ptz', title, 'aria-label': title, 'data-ptz': dir }, text);
      let moving = false;
      const stop = () => {
        if (!moving) return;
        moving = false;
        void send({ action: 'stop' });
      };
      b.addEventListener('pointerdown', () => {
        moving = true;
        void send({ action: 'move', ...move });
      });
      b.addEventListener('pointerup', stop);
      b.addEventListener('pointerleave', stop);
      return b;
    };
    const preset = h('input', { type: 'number', min: '1', max: '255', value: '1', title: t('ptz.preset'), 'aria-label': t('ptz.preset'), class: 'ptz-preset' }) as HTMLInputElement;
    return h('div', { class: 'toolbar ptz-pad', 'data-field': 'ptz' },
      h('span', { class: 'muted' }, t('ptz.label')),
      hold('◀', 'left', t('ptz.left'), { pan: -1 }), hold('▲', 'up', t('ptz.up'), { tilt: 1 }), hold('▼', 'down', t('ptz.down'), { tilt: -1 }), hold('▶', 'right', t('ptz.right'), { pan: 1 }),
      hold('+', 'zoom in', t('ptz.zoomIn'), { zoom: 1 }), hold('−', 'zoom out', t('ptz.zoomOut'), { zoom: -1 }),
      h('span', { class: 'grow' }),
      preset,
      h('button', { onclick: () => void send({ action: 'preset', op: 'call', index: Number(preset.value) }) }, t('ptz.goto')),
      h('button', { onclick: () => void send({ action: 'preset', op: 'set', index: Number(preset.value) }) }, t('ptz.save')),
    );
  };

  const play = (c: ChannelDto, mode: PlayMode = preferredMode, transport?: StreamTransport) => {
    preferredMode = mode;
    const modeSel = h('select', { 'data-field': 'player-mode', title: t('live.player'), 'aria-label': t('live.player') }, h('option', { value: 'hls', selected: mode === 'hls' }, t('live.hls')), h('option', { value: 'flv', selected: mode === 'flv' }, t('live.flv')));
    const trSel = h('select', { title: t('live.transportTitle'), 'aria-label': t('live.transportTitle') }, h('option', { value: '' }, t('live.deviceDefault', { transport: t(`transport.${device?.streamTransport ?? 'udp'}`) })), (['udp', 'tcp-passive', 'tcp-active'] as const).map((tr) => h('option', { value: tr, selected: tr === transport }, t(`transport.${tr}`))));
    const status = h('div', { class: 'player-status' }, t('live.asking'));
    const body = h('div', { class: 'player' }, h('div', { class: 'video placeholder' }), status);
    const links = h('span', { class: 'links' });
    let player: InlinePlayer | null = null;
    let cancelled = false;
    modeSel.addEventListener('change', () => play(c, modeSel.value as PlayMode, (trSel.value || undefined) as StreamTransport | undefined));
    trSel.addEventListener('change', () => play(c, modeSel.value as PlayMode, (trSel.value || undefined) as StreamTransport | undefined));
    setPanel(
      h('div', { class: 'card' },
        h('div', { class: 'toolbar' }, h('h2', {}, t('live.title', { name: label(c) })), h('span', { class: 'grow' }), modeSel, trSel, links, h('button', { onclick: () => setPanel(h('div')) }, t('common.close'))),
        body,
        c.ptzType === 3 ? h('div') : ptzPad(c),
      ),
      () => {
        cancelled = true;
        player?.close();
      },
    );
    api<StreamDto>('POST', `/api/devices/${id}/channels/${c.channelId}/play`, transport ? { transport } : {})
      .then((s) => {
        if (cancelled) return;
        player = new InlinePlayer(s, mode);
        body.replaceChildren(player.video, player.status);
        links.replaceChildren(h('a', { href: `${s.urls.player}${mode === 'flv' ? '&mode=flv' : ''}`, target: '_blank', rel: 'noopener' }, t('live.openPlayer')));
      })
      .catch((e: unknown) => {
        status.textContent = messageOf(e);
        status.classList.add('error');
      });
  };

  const snapshot = (c: ChannelDto) => {
    const status = h('div', { class: 'player-status' }, t('snapshot.waiting'));
    const body = h('div', { class: 'player' }, h('div', { class: 'video placeholder' }), status);
    let url: string | null = null;
    const ctrl = new AbortController();
    setPanel(
      h('div', { class: 'card' }, h('div', { class: 'toolbar' }, h('h2', {}, t('snapshot.title', { name: label(c) })), h('span', { class: 'grow' }), h('button', { onclick: () => snapshot(c) }, t('snapshot.again')), h('button', { onclick: () => setPanel(h('div')) }, t('common.close'))), body),
      () => {
        ctrl.abort();
        if (url) URL.revokeObjectURL(url);
      },
    );
    apiBlob(`/api/devices/${id}/channels/${c.channelId}/snapshot`, ctrl.signal)
      .then((blob) => {
        url = URL.createObjectURL(blob);
        body.replaceChildren(h('img', { src: url, class: 'video', alt: t('snapshot.alt', { name: label(c) }) }), h('div', { class: 'player-status' }, formatDateTime(new Date())));
      })
      .catch((e: unknown) => {
        if ((e as Error).name === 'AbortError') return;
        status.textContent = messageOf(e);
        status.classList.add('error');
      });
  };

  const records = (c: ChannelDto) => {
    const card = h('div', { class: 'card' });
    const stop = mountRecordsPanel(card, ctx, id, c, label(c), () => setPanel(h('div')));
    setPanel(card, stop);
  };

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
    const row = h(
      'div',
      { class: 'node', 'data-channel-id': c.channelId },
      h('span', { class: `dot ${on ? 'on' : 'off'}`, title: t('channels.status', { status: on ? t('status.online') : c.status?.toUpperCase() === 'OFF' ? t('status.offline') : (c.status ?? '?') }) }),
      h('span', { class: 'name' }, label(c)),
      h('span', { class: 'mono muted' }, c.channelId),
      watched.has(c.channelId) ? h('a', { class: 'tag watch', href: '#/congestion' }, t('channels.watched')) : null,
      h('span', { class: 'grow' }),
      h('span', { class: 'actions' },
        h('button', { onclick: () => play(c), 'data-action': 'play' }, t('common.play')),
        h('button', { onclick: () => snapshot(c), 'data-action': 'snapshot' }, t('common.snapshot')),
        h('button', { onclick: () => records(c), 'data-action': 'records' }, t('channels.records')),
        h('button', { onclick: () => void toggleWatch(c), 'data-action': 'watch' }, watched.has(c.channelId) ? t('channels.unwatch') : t('channels.watch')),
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
      title.replaceChildren(h('span', { class: `dot ${d.online ? 'on' : 'off'}`, 'data-field': 'online' }), d.name || d.deviceId);
      meta.textContent = t('channels.meta', { id: d.deviceId, vendor: [d.manufacturer, d.model].filter(Boolean).join(' '), n: list.length });
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
    if (e.type === 'catalog.updated' && e.data.deviceId === id) void load();
    if ((e.type === 'device.online' || e.type === 'device.offline') && e.data.deviceId === id) void load();
  };

  root.append(
    h('section', { class: 'page' },
      h('div', { class: 'toolbar' }, h('a', { href: '#/devices', class: 'back' }, t('channels.back')), title, meta, h('span', { class: 'grow' }), h('button', { onclick: () => void sync() }, t('devices.sync'))),
      h('div', { class: 'split' }, treeEl, panel),
    ),
  );
  void load();
  const off = ctx.events.on(onEvent);
  return () => {
    off();
    closePanel?.();
  };
}
