import type { ChannelCongestionDto, ChannelDto, CongestionScore, DeviceDto, Roi, StreamDto } from '@gb/contracts';
import { api, ApiError, messageOf } from '../api';
import type { AppContext } from '../app-context';
import { h } from '../dom';
import { t } from '../i18n';
import { StreamLeases } from '../wall/stream-leases';
import { MAX_TILES, WALL_LAYOUTS, layoutOf, type WallLayoutId } from '../wall/wall-layouts';
import { loadWall, saveWall, type WallChannel } from '../wall/wall-store';
import { WallTile } from '../wall/wall-tile';
import { withForming } from './congestion.page';

/** Stream figures (bitrate, failures) are read again this often. */
const STREAMS_REFRESH_MS = 2000;
const TOUR_CHOICES_S = [0, 5, 10, 30, 60];
const DRAG_TYPE = 'application/x-gb-channel';

/** The worst ROI of a channel's last scores: its level colours the tile's frame. */
function worst(scores: CongestionScore[]): { level: CongestionScore['level']; index: number } | null {
  if (!scores.length) return null;
  const top = scores.reduce((a, b) => (b.index > a.index ? b : a));
  return { level: top.level, index: top.index };
}

/**
 * The video wall (#/wall): 1, 2×2, 3×3, 4×4 or 1+5 tiles, each playing a channel picked from the device list
 * (pick then click a tile, or drag it onto one). Watched channels show their congestion level and ROIs. A tile that
 * leaves the screen (smaller layout, another page, hidden tab) stops its player and stops the stream at the gateway
 * when no other tile shows it. Layout, tiles and tour interval are kept per user in localStorage.
 */
/** How long the picker waits after a device or catalog event before it reloads its list (a registration storm is one reload). */
const CHANNELS_RELOAD_DEBOUNCE_MS = 1000;

export function mountWall(root: HTMLElement, ctx: AppContext): () => void {
  const state = loadWall();
  // A stream the gateway already ended (failed, idled out) is gone: nothing to stop.
  const leases = new StreamLeases((id) =>
    api('DELETE', `/api/streams/${encodeURIComponent(id)}`).catch((e: unknown) => {
      if (!(e instanceof ApiError && e.code === 'STREAM_NOT_FOUND')) throw e;
    }));
  const congestion = new Map<string, ChannelCongestionDto>();
  const rois = new Map<string, Promise<Roi[]>>();
  let selected: WallChannel | null = null;
  let tourPage = 0;
  let tourTimer: number | undefined;
  let disposed = false;

  const grid = h('div', { class: 'wall-grid', 'data-field': 'wall-grid' });
  const pickerList = h('ul', { class: 'wall-picker-list', 'data-field': 'wall-picker' }, h('li', { class: 'muted' }, t('wall.loadingChannels')));
  const hint = h('p', { class: 'muted wall-hint' }, t('wall.hint'));

  const assign = (tile: WallTile, channel: WallChannel | null) => {
    state.tiles[tile.index] = channel;
    saveWall(state);
    tourPage = 0;
    apply();
  };
  const tiles = Array.from({ length: MAX_TILES }, (_, i) =>
    new WallTile(i, leases, {
      onClick: (tile) => {
        if (selected) assign(tile, selected);
      },
      onDrop: (tile, data) => {
        try {
          const c = JSON.parse(data) as WallChannel;
          if (typeof c.deviceId === 'string' && typeof c.channelId === 'string') assign(tile, { deviceId: c.deviceId, channelId: c.channelId, name: String(c.name ?? c.channelId) });
        } catch {
          /* not one of ours */
        }
      },
      onClear: (tile) => assign(tile, null),
    }),
  );

  /** The channels of the wall in tile order, each once: what the tour pages through. */
  const picked = (): WallChannel[] => {
    const seen = new Set<string>();
    return state.tiles.filter((c): c is WallChannel => !!c && !seen.has(c.channelId) && !!seen.add(c.channelId));
  };

  const decorate = (tile: WallTile) => {
    const c = tile.channel;
    const watched = c ? congestion.get(c.channelId) : undefined;
    tile.setLevel(watched ? worst(watched.scores) : null);
    tile.setBoxes(watched ? (watched.boxes ?? []) : null);
    tile.setForming(watched?.forming ?? []);
    if (!c || !watched) return tile.setRois([]);
    let p = rois.get(c.channelId);
    if (!p) {
      p = api<Roi[]>('GET', `/api/channels/${encodeURIComponent(c.channelId)}/rois`).catch(() => []);
      rois.set(c.channelId, p);
    }
    void p.then((r) => {
      if (!disposed && tile.channel?.channelId === c.channelId) tile.setRois(r);
    });
  };

  /** Puts the layout's tiles on the grid with their channels (or the tour's page); the others release their streams. */
  const apply = () => {
    const layout = layoutOf(state.layout);
    grid.style.gridTemplateColumns = `repeat(${layout.cols}, minmax(0, 1fr))`;
    grid.style.gridTemplateRows = `repeat(${layout.rows}, minmax(0, 1fr))`;
    grid.dataset.layout = layout.id;
    const list = picked();
    const touring = state.tourS > 0 && list.length > layout.tiles;
    const pages = Math.ceil(list.length / layout.tiles);
    for (const tile of tiles) {
      if (tile.index >= layout.tiles) {
        tile.release();
        tile.el.remove();
        continue;
      }
      const span = layout.spans?.[tile.index] ?? 1;
      tile.el.style.gridColumn = tile.el.style.gridRow = `span ${span}`;
      const channel = touring ? (list[(tourPage % pages) * layout.tiles + tile.index] ?? null) : state.tiles[tile.index]!;
      tile.show(channel);
      if (document.hidden) tile.release();
      grid.append(tile.el);
      decorate(tile);
    }
    for (const b of layoutButtons) b.classList.toggle('active', b.dataset.layout === layout.id);
    window.clearInterval(tourTimer);
    if (touring)
      tourTimer = window.setInterval(() => {
        tourPage++;
        apply();
      }, state.tourS * 1000);
  };

  const layoutButtons = WALL_LAYOUTS.map((l) =>
    h('button', { 'data-layout': l.id, title: t(`wall.layout.${l.id}`), onclick: () => {
      state.layout = l.id as WallLayoutId;
      saveWall(state);
      tourPage = 0;
      apply();
    } }, t(`wall.layout.${l.id}`)),
  );
  const tourSel = h('select', { 'data-field': 'tour', title: t('wall.tourTitle'), 'aria-label': t('wall.tourTitle') },
    TOUR_CHOICES_S.map((s) => h('option', { value: s, selected: s === state.tourS }, s ? t('wall.tourEvery', { n: s }) : t('wall.tourOff'))));
  tourSel.addEventListener('change', () => {
    state.tourS = Number(tourSel.value);
    saveWall(state);
    tourPage = 0;
    apply();
  });
  const wallFull = h('button', { 'data-action': 'wall-fullscreen', onclick: () => void grid.requestFullscreen?.().catch(() => undefined) }, t('wall.fullscreen'));

  root.append(
    h('section', { class: 'page wall-page' },
      h('div', { class: 'toolbar' }, h('h1', {}, t('wall.title')), h('span', { class: 'grow' }),
        h('span', { class: 'wall-layouts', role: 'group', 'aria-label': t('wall.layoutTitle') }, layoutButtons),
        h('label', {}, t('wall.tour'), ' ', tourSel), wallFull),
      h('div', { class: 'wall-body' },
        h('aside', { class: 'card wall-picker' }, h('h2', {}, t('wall.channels')), hint, pickerList),
        grid)),
  );

  const pickerItem = (d: DeviceDto, c: ChannelDto) => {
    const channel: WallChannel = { deviceId: d.deviceId, channelId: c.channelId, name: c.name || c.channelId };
    const li = h('li', { class: 'wall-pick', draggable: 'true', tabindex: 0, 'data-channel-id': c.channelId, 'data-device-id': d.deviceId, title: c.channelId },
      h('span', {}, channel.name), h('span', { class: 'muted' }, c.channelId));
    if (selected?.channelId === channel.channelId) li.classList.add('selected'); // kept across a reload of the list
    const select = () => {
      const again = selected?.channelId === channel.channelId;
      selected = again ? null : channel;
      for (const el of pickerList.querySelectorAll('.wall-pick.selected')) el.classList.remove('selected');
      if (!again) li.classList.add('selected');
      grid.classList.toggle('picking', !!selected);
    };
    li.addEventListener('click', select);
    li.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') select();
    });
    li.addEventListener('dragstart', (e) => {
      e.dataTransfer?.setData(DRAG_TYPE, JSON.stringify(channel));
      e.dataTransfer?.setData('text/plain', JSON.stringify(channel));
    });
    return li;
  };

  const loadChannels = async () => {
    try {
      const devices = await api<DeviceDto[]>('GET', '/api/devices');
      const groups = await Promise.all(devices.map(async (d) => ({ d, channels: await api<ChannelDto[]>('GET', `/api/devices/${encodeURIComponent(d.deviceId)}/channels`).catch(() => []) })));
      if (disposed) return;
      const items = groups.flatMap(({ d, channels }) =>
        channels.length
          ? [h('li', { class: 'wall-device' }, h('span', {}, d.name || d.deviceId), d.online ? null : h('span', { class: 'muted' }, ' ', t('wall.offline'))), ...channels.map((c) => pickerItem(d, c))]
          : [],
      );
      pickerList.replaceChildren(...(items.length ? items : [h('li', { class: 'muted' }, t('wall.noChannels'))]));
    } catch (e) {
      if (!disposed) pickerList.replaceChildren(h('li', { class: 'error' }, messageOf(e)));
    }
  };

  const loadCongestion = () =>
    api<ChannelCongestionDto[]>('GET', '/api/congestion')
      .then((list) => {
        if (disposed) return;
        congestion.clear();
        for (const c of list) congestion.set(c.channelId, c);
        for (const tile of tiles) if (tile.el.isConnected) decorate(tile);
      })
      .catch(() => undefined);

  const pollStreams = () => {
    const askedAt = Date.now();
    return api<StreamDto[]>('GET', '/api/streams')
      .then((list) => {
        if (disposed) return;
        const byId = new Map(list.map((s) => [s.streamId, s]));
        for (const tile of tiles) if (tile.currentStreamId) tile.updateStream(byId.get(tile.currentStreamId), askedAt);
      })
      .catch(() => undefined);
  };

  /** Devices coming and going and catalogs arriving change the picker's list: reloaded once things settle. */
  let channelsReload: number | undefined;
  const reloadChannelsSoon = () => {
    window.clearTimeout(channelsReload);
    channelsReload = window.setTimeout(() => void loadChannels(), CHANNELS_RELOAD_DEBOUNCE_MS);
  };

  const offEvents = ctx.events.on((e) => {
    if (e.type === 'catalog.updated' || e.type === 'catalog.changed' || e.type === 'device.online' || e.type === 'device.offline') return reloadChannelsSoon();
    if (e.type === 'congestion.forming' || e.type === 'congestion.forming.ended') {
      // An onset warning went out or ended: the tile's "Forming" badge follows.
      const c = congestion.get(e.data.channelId);
      if (!c) return void loadCongestion();
      c.forming = withForming(c.forming, e.data.roi, e.type === 'congestion.forming' ? { roi: e.data.roi, since: e.data.at, slopePerMin: e.data.slopePerMin } : null);
      for (const tile of tiles) if (tile.el.isConnected && tile.channel?.channelId === c.channelId) tile.setForming(c.forming);
      return;
    }
    if (e.type !== 'congestion.score') return;
    const c = congestion.get(e.data.channelId);
    if (!c) return void loadCongestion();
    c.scores = e.data.scores;
    c.boxes = e.data.boxes ?? [];
    for (const tile of tiles) {
      if (!tile.el.isConnected || tile.channel?.channelId !== c.channelId) continue;
      tile.setLevel(worst(c.scores));
      tile.setBoxes(c.boxes);
    }
  });
  const offReconnect = ctx.events.onReconnect(() => void loadCongestion());

  /** A hidden tab shows nothing: its tiles let go of their streams, and play again when it is shown. */
  const onVisibility = () => {
    for (const tile of tiles) {
      if (!tile.el.isConnected) continue;
      if (document.hidden) tile.release();
      else tile.resume();
    }
  };
  document.addEventListener('visibilitychange', onVisibility);

  apply();
  void loadChannels();
  void loadCongestion();
  const streamsTimer = window.setInterval(() => void pollStreams(), STREAMS_REFRESH_MS);

  return () => {
    disposed = true;
    window.clearTimeout(channelsReload);
    window.clearInterval(tourTimer);
    window.clearInterval(streamsTimer);
    offEvents();
    offReconnect();
    document.removeEventListener('visibilitychange', onVisibility);
    if (document.fullscreenElement && root.contains(document.fullscreenElement)) void document.exitFullscreen().catch(() => undefined);
    for (const tile of tiles) tile.release();
  };
}
