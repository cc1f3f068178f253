import type { ChannelCongestionDto, ChannelDto, DeviceDto, GatewayEvent, StreamTransport } from '@gb/contracts';
import { api, apiBlob, messageOf } from '../api';
import type { AppContext } from '../app-context';
import type { StreamDto } from '../api-types';
import { buildChannelTree, type TreeNode } from '../channel-tree';
import { h, toast } from '../dom';
import { InlinePlayer, type PlayMode } from '../player';
import { mountRecordsPanel } from './records.panel';

/** One device's channels as a tree (ParentID), each with Play, Snapshot, Records and Watch congestion. */
export function mountChannels(root: HTMLElement, ctx: AppContext, [deviceId]: string[]): () => void {
  const id = deviceId!;
  const title = h('h1', {}, `Device ${id}`);
  const meta = h('span', { class: 'muted' });
  const treeEl = h('div', { class: 'tree', 'data-field': 'channel-tree' }, h('p', { class: 'muted' }, 'Loading channels…'));
  const panel = h('div', { class: 'panel' }, h('p', { class: 'muted hint' }, 'Pick a channel: Play shows live video here, Records searches its recordings.'));
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
      api('POST', `/api/devices/${id}/channels/${c.channelId}/ptz`, body).catch((e: unknown) => toast(`PTZ: ${messageOf(e)}`, 'error'));
    const hold = (text: string, title: string, move: Record<string, number>) => {
      const b = h('button', { class: 'ptz', title, 'data-ptz': title }, text);
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
    const preset = h('input', { type: 'number', min: '1', max: '255', value: '1', title: 'Preset number', class: 'ptz-preset' }) as HTMLInputElement;
    return h('div', { class: 'toolbar ptz-pad', 'data-field': 'ptz' },
      h('span', { class: 'muted' }, 'PTZ'),
      hold('◀', 'left', { pan: -1 }), hold('▲', 'up', { tilt: 1 }), hold('▼', 'down', { tilt: -1 }), hold('▶', 'right', { pan: 1 }),
      hold('+', 'zoom in', { zoom: 1 }), hold('−', 'zoom out', { zoom: -1 }),
      h('span', { class: 'grow' }),
      preset,
      h('button', { onclick: () => void send({ action: 'preset', op: 'call', index: Number(preset.value) }) }, 'Go to preset'),
      h('button', { onclick: () => void send({ action: 'preset', op: 'set', index: Number(preset.value) }) }, 'Save preset'),
    );
  };

  const play = (c: ChannelDto, mode: PlayMode = preferredMode, transport?: StreamTransport) => {
    preferredMode = mode;
    const modeSel = h('select', { 'data-field': 'player-mode', title: 'Player' }, h('option', { value: 'hls', selected: mode === 'hls' }, 'HLS (hls.js)'), h('option', { value: 'flv', selected: mode === 'flv' }, 'HTTP-FLV (mpegts.js)'));
    const trSel = h('select', { title: 'Media transport asked of the device' }, h('option', { value: '' }, `device default (${device?.streamTransport ?? 'udp'})`), (['udp', 'tcp-passive', 'tcp-active'] as const).map((t) => h('option', { value: t, selected: t === transport }, t)));
    const status = h('div', { class: 'player-status' }, 'asking the device to send video…');
    const body = h('div', { class: 'player' }, h('div', { class: 'video placeholder' }), status);
    const links = h('span', { class: 'links' });
    let player: InlinePlayer | null = null;
    let cancelled = false;
    modeSel.addEventListener('change', () => play(c, modeSel.value as PlayMode, (trSel.value || undefined) as StreamTransport | undefined));
    trSel.addEventListener('change', () => play(c, modeSel.value as PlayMode, (trSel.value || undefined) as StreamTransport | undefined));
    setPanel(
      h('div', { class: 'card' },
        h('div', { class: 'toolbar' }, h('h2', {}, `Live · ${label(c)}`), h('span', { class: 'grow' }), modeSel, trSel, links, h('button', { onclick: () => setPanel(h('div')) }, 'Close')),
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
        links.replaceChildren(h('a', { href: `${s.urls.player}${mode === 'flv' ? '&mode=flv' : ''}`, target: '_blank', rel: 'noopener' }, 'open player ↗'));
      })
      .catch((e: unknown) => {
        status.textContent = messageOf(e);
        status.classList.add('error');
      });
  };

  const snapshot = (c: ChannelDto) => {
    const status = h('div', { class: 'player-status' }, 'waiting for a keyframe (up to 10 s)…');
    const body = h('div', { class: 'player' }, h('div', { class: 'video placeholder' }), status);
    let url: string | null = null;
    const ctrl = new AbortController();
    setPanel(
      h('div', { class: 'card' }, h('div', { class: 'toolbar' }, h('h2', {}, `Snapshot · ${label(c)}`), h('span', { class: 'grow' }), h('button', { onclick: () => snapshot(c) }, 'Again'), h('button', { onclick: () => setPanel(h('div')) }, 'Close')), body),
      () => {
        ctrl.abort();
        if (url) URL.revokeObjectURL(url);
      },
    );
    apiBlob(`/api/devices/${id}/channels/${c.channelId}/snapshot`, ctrl.signal)
      .then((blob) => {
        url = URL.createObjectURL(blob);
        body.replaceChildren(h('img', { src: url, class: 'video', alt: `snapshot of ${label(c)}` }), h('div', { class: 'player-status' }, new Date().toLocaleString()));
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
        toast(`Stopped congestion scoring of ${label(c)}`);
      } else {
        await api<ChannelCongestionDto>('POST', `/api/channels/${c.channelId}/watch`, { deviceId: id });
        watched.add(c.channelId);
        toast(`Scoring congestion of ${label(c)}: see the Congestion page`);
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
      h('span', { class: `dot ${on ? 'on' : 'off'}`, title: `status ${c.status}` }),
      h('span', { class: 'name' }, label(c)),
      h('span', { class: 'mono muted' }, c.channelId),
      watched.has(c.channelId) ? h('a', { class: 'tag watch', href: '#/congestion' }, 'watched') : null,
      h('span', { class: 'grow' }),
      h('span', { class: 'actions' },
        h('button', { onclick: () => play(c), 'data-action': 'play' }, 'Play'),
        h('button', { onclick: () => snapshot(c), 'data-action': 'snapshot' }, 'Snapshot'),
        h('button', { onclick: () => records(c), 'data-action': 'records' }, 'Records'),
        h('button', { onclick: () => void toggleWatch(c), 'data-action': 'watch' }, watched.has(c.channelId) ? 'Unwatch' : 'Watch congestion'),
      ),
    );
    if (!n.children.length) return h('li', {}, row);
    const details = h('details', { open: true }, h('summary', {}, row), h('ul', {}, n.children.map(renderNode)));
    return h('li', {}, details);
  };

  const renderTree = () => {
    if (!channels.length) {
      treeEl.replaceChildren(h('p', { class: 'muted' }, device?.online ? 'No channels yet: use Sync catalog.' : 'No channels known.'));
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
      meta.textContent = `${d.deviceId} · ${[d.manufacturer, d.model].filter(Boolean).join(' ')} · ${list.length} channel${list.length === 1 ? '' : 's'}`;
      renderTree();
    } catch (e) {
      treeEl.replaceChildren(h('p', { class: 'error' }, messageOf(e)));
    }
  };

  const sync = async () => {
    try {
      await api('POST', `/api/devices/${id}/catalog`);
      toast('Catalog query sent');
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
      h('div', { class: 'toolbar' }, h('a', { href: '#/devices', class: 'back' }, '← Devices'), title, meta, h('span', { class: 'grow' }), h('button', { onclick: () => void sync() }, 'Sync catalog')),
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
