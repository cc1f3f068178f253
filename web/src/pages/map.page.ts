import { CONGESTION_LEVELS, planTransform, type ChannelCongestionDto, type ChannelDto, type CongestionLevel, type CongestionScore, type DeviceDto, type MapPlanInfoDto, type MapPositionDto, type MapReferencePoint, type MapSettingsDto } from '@gb/contracts';
import { api, apiBlob, ApiError, getToken, messageOf } from '../api';
import type { AppContext } from '../app-context';
import { h, toast } from '../dom';
import { t } from '../i18n';
import { can } from '../session-role';
import { channelLonLat } from '../map/map-geometry';
import { MapView, type MapMarker, type MarkerPlace } from '../map/map-view';
import { StreamLeases } from '../wall/stream-leases';
import { WallTile } from '../wall/wall-tile';

/** Devices whose catalogs the map loads (one request each). */
const MAX_MAP_DEVICES = 200;
/** Accepted plan files (the gateway checks the bytes too). */
const PLAN_TYPES = ['image/png', 'image/jpeg'];

interface MapChannel {
  dto: ChannelDto;
  deviceOnline: boolean;
  level: CongestionLevel | null;
}

/** Channels worth a marker: not catalog tree nodes (GB/T 28181-2016 Annex D type 200 centre, 215 business group, 216 virtual organisation, civil codes). */
function isCamera(c: ChannelDto): boolean {
  return /^\d{20}$/.test(c.channelId) && !['200', '215', '216'].includes(c.channelId.slice(10, 13));
}

function worstLevel(scores: readonly CongestionScore[]): CongestionLevel | null {
  let best = -1;
  for (const s of scores) best = Math.max(best, CONGESTION_LEVELS.indexOf(s.level));
  return best < 0 ? null : CONGESTION_LEVELS[best]!;
}

/**
 * #/map: channels on the site plan (catalog longitude/latitude through the plan's two reference points, or pixels
 * placed by hand) or on a tile layer from a local tile server. Markers are coloured by congestion level and online
 * state; a click opens a live tile; channels that cannot be placed are listed at the side and dragged onto the plan.
 */
export function mountMap(root: HTMLElement, ctx: AppContext): () => void {
  let disposed = false;
  const channels = new Map<string, MapChannel>();
  let positions = new Map<string, [number, number]>();
  let settings: MapSettingsDto = { plan: null, tileUrl: null };
  let plan: MapPlanInfoDto | null = null;
  let planUrl: string | null = null;
  let modeChoice: 'plan' | 'tiles' | null = null;
  // As the gateway's route table has it: operators upload the plan and place channels, admins set the map settings.
  const mayPlace = can('roiEdit');
  const mayConfigure = can('admin');

  const view = new MapView((px) => pickAt(px));
  const side = h('ul', { class: 'map-unplaced', 'data-field': 'map-unplaced' });
  const sideNote = h('p', { class: 'muted' });
  const status = h('p', { class: 'muted', 'data-field': 'map-status' });
  const modeSelect = h('select', { 'data-field': 'map-mode', onchange: () => {
    modeChoice = modeSelect.value as 'plan' | 'tiles';
    draw();
  } });
  const live = h('div', { class: 'map-live', 'data-field': 'map-live' });
  live.hidden = true;

  // The live tile: the video wall's tile, with its own stream lease (stops the stream when closed).
  const leases = new StreamLeases((id) =>
    api('DELETE', `/api/streams/${encodeURIComponent(id)}`).catch((e: unknown) => {
      if (!(e instanceof ApiError && e.code === 'STREAM_NOT_FOUND')) throw e;
    }));
  const tile = new WallTile(0, leases, { onClick: () => undefined, onDrop: () => undefined, onClear: () => closeLive() });
  live.append(tile.el);
  function closeLive(): void {
    tile.show(null);
    live.hidden = true;
  }
  function openLive(c: MapChannel): void {
    live.hidden = false;
    tile.show({ deviceId: c.dto.deviceId, channelId: c.dto.channelId, name: c.dto.name ?? c.dto.channelId });
  }

  // Plan upload.
  const fileInput = h('input', { type: 'file', accept: PLAN_TYPES.join(','), 'data-field': 'map-plan-file' });
  const uploadBtn = h('button', { type: 'submit', 'data-action': 'map-upload' }, t('map.upload'));
  const uploadForm = h('form', { class: 'toolbar', onsubmit: (e) => {
    e.preventDefault();
    void upload();
  } }, h('label', {}, t('map.planFile'), ' ', fileInput), uploadBtn);

  async function upload(): Promise<void> {
    const file = fileInput.files?.[0];
    if (!file) return toast(t('map.chooseFile'), 'error');
    uploadBtn.disabled = true;
    try {
      const token = getToken();
      const res = await fetch('/api/map/plan', { method: 'PUT', headers: { 'content-type': file.type || 'application/octet-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: file });
      if (!res.ok) {
        const body = (await res.json().catch(() => null)) as { code?: string; message?: string } | null;
        throw new ApiError(res.status, body?.code ?? `HTTP_${res.status}`, body?.message ?? res.statusText);
      }
      toast(t('map.uploaded'));
      await load();
    } catch (e) {
      toast(messageOf(e), 'error');
    } finally {
      uploadBtn.disabled = false;
    }
  }

  // The two reference points.
  const refInputs = [0, 1].map(() => ({
    x: h('input', { type: 'number', step: 'any', min: 0, 'data-field': 'ref-x', 'aria-label': t('map.refX') }),
    y: h('input', { type: 'number', step: 'any', min: 0, 'data-field': 'ref-y', 'aria-label': t('map.refY') }),
    lon: h('input', { type: 'number', step: 'any', min: -180, max: 180, 'data-field': 'ref-lon', 'aria-label': t('map.refLon') }),
    lat: h('input', { type: 'number', step: 'any', min: -85, max: 85, 'data-field': 'ref-lat', 'aria-label': t('map.refLat') }),
  }));
  let picking: number | null = null;
  function pickAt(px: [number, number]): void {
    if (picking === null) return;
    refInputs[picking]!.x.value = String(Math.round(px[0]));
    refInputs[picking]!.y.value = String(Math.round(px[1]));
    picking = null;
    view.el.classList.remove('picking');
  }
  const refForm = h('form', { class: 'map-ref', 'data-field': 'map-ref-form', onsubmit: (e) => {
    e.preventDefault();
    void saveRef();
  } },
  ...refInputs.map((r, i) => h('div', { class: 'toolbar', 'data-ref': i },
    h('strong', {}, t('map.refPoint', { n: i + 1 })),
    h('label', {}, t('map.refX'), ' ', r.x), h('label', {}, t('map.refY'), ' ', r.y),
    h('label', {}, t('map.refLon'), ' ', r.lon), h('label', {}, t('map.refLat'), ' ', r.lat),
    h('button', { type: 'button', class: 'link', 'data-action': 'ref-pick', onclick: () => {
      picking = i;
      view.el.classList.add('picking');
      toast(t('map.pickHint'));
    } }, t('map.pick')))),
  h('div', { class: 'toolbar' }, h('button', { type: 'submit', 'data-action': 'map-save-ref' }, t('map.saveRef')),
    h('button', { type: 'button', 'data-action': 'map-clear-ref', onclick: () => void saveSettings({ ...settings, plan: null }) }, t('map.clearRef'))));

  async function saveRef(): Promise<void> {
    const ref = refInputs.map((r) => ({ px: [Number(r.x.value), Number(r.y.value)], lonlat: [Number(r.lon.value), Number(r.lat.value)] })) as [MapReferencePoint, MapReferencePoint];
    if (ref.some((p) => [...p.px, ...p.lonlat].some((v) => !Number.isFinite(v)))) return toast(t('map.refIncomplete'), 'error');
    if (!planTransform(ref)) return toast(t('map.refDegenerate'), 'error');
    await saveSettings({ ...settings, plan: { ref } });
  }

  const tileInput = h('input', { type: 'url', size: 48, placeholder: t('map.tileUrlExample'), 'data-field': 'map-tile-url' });
  const tileForm = h('form', { class: 'toolbar', onsubmit: (e) => {
    e.preventDefault();
    void saveSettings({ ...settings, tileUrl: tileInput.value.trim() || null });
  } }, h('label', {}, t('map.tileUrl'), ' ', tileInput), h('button', { type: 'submit', 'data-action': 'map-save-tiles' }, t('map.saveTiles')));

  async function saveSettings(next: MapSettingsDto): Promise<void> {
    try {
      settings = await api<MapSettingsDto>('PUT', '/api/map/settings', next);
      toast(t('map.saved'));
      fillForms();
      draw();
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  }

  function fillForms(): void {
    const ref = settings.plan?.ref;
    refInputs.forEach((r, i) => {
      const p = ref?.[i];
      r.x.value = p ? String(p.px[0]) : '';
      r.y.value = p ? String(p.px[1]) : '';
      r.lon.value = p ? String(p.lonlat[0]) : '';
      r.lat.value = p ? String(p.lonlat[1]) : '';
    });
    tileInput.value = settings.tileUrl ?? '';
  }

  function placeOf(c: MapChannel): MarkerPlace | null {
    const pos = positions.get(c.dto.channelId);
    if (pos) return { px: pos };
    const lonlat = channelLonLat(c.dto);
    return lonlat ? { lonlat } : null;
  }

  /** Colour (level, online) and title of a marker, set in place so a score does not rebuild the map. */
  function styleMarker(el: HTMLElement, c: MapChannel): void {
    const online = c.deviceOnline && c.dto.status !== 'OFF';
    const name = c.dto.name ?? c.dto.channelId;
    const stateText = online ? (c.level ? t(`level.${c.level}`) : t('map.online')) : t('map.offline');
    el.className = `map-marker ${online ? 'online' : 'offline'}${c.level ? ` lvl-${c.level}` : ''}`;
    el.dataset.level = c.level ?? '';
    el.dataset.online = String(online);
    el.title = `${name} · ${stateText}`;
    el.setAttribute('aria-label', el.title);
  }

  function markerEl(c: MapChannel): HTMLElement {
    const el = h('button', { 'data-channel-id': c.dto.channelId, onclick: () => openLive(c) }, h('span', { class: 'map-marker-label' }, c.dto.name ?? c.dto.channelId));
    styleMarker(el, c);
    return el;
  }

  function draw(): void {
    if (disposed) return;
    const transform = settings.plan ? planTransform(settings.plan.ref) : null;
    const modes: ('plan' | 'tiles')[] = [];
    if (plan && planUrl) modes.push('plan');
    if (settings.tileUrl) modes.push('tiles');
    const mode = modeChoice && modes.includes(modeChoice) ? modeChoice : (modes.includes('tiles') ? 'tiles' : modes[0]) ?? null;
    modeSelect.replaceChildren(...modes.map((m) => h('option', { value: m, selected: m === mode }, t(m === 'plan' ? 'map.modePlan' : 'map.modeTiles'))));
    modeSelect.hidden = modes.length < 2;
    const list = [...channels.values()];
    if (mode === 'plan') view.showPlan(planUrl!, [plan!.width, plan!.height], transform);
    else if (mode === 'tiles') {
      const coords = list.map((c) => placeOf(c)).filter((p): p is { lonlat: [number, number] } => !!p && 'lonlat' in p);
      const center: [number, number] | null = coords.length ? [coords.reduce((s, p) => s + p.lonlat[0], 0) / coords.length, coords.reduce((s, p) => s + p.lonlat[1], 0) / coords.length] : null;
      view.showTiles(view.centerLonLat() ?? center, transform);
    } else view.showNone();
    status.textContent = mode === 'plan' ? (transform ? t('map.statusPlan', { w: plan!.width, h: plan!.height }) : t('map.statusPlanNoRef')) : mode === 'tiles' ? t('map.statusTiles') : t('map.statusNone');

    const markers: MapMarker[] = [];
    const unplaced: MapChannel[] = [];
    for (const c of list) {
      const place = placeOf(c);
      if (place && view.placeable(place)) markers.push({ channelId: c.dto.channelId, place, el: markerEl(c) });
      else unplaced.push(c);
    }
    view.setMarkers(markers);
    side.replaceChildren(...unplaced.map((c) => h('li', { class: 'map-unplaced-item', 'data-channel-id': c.dto.channelId, title: t('map.dragHint'), onpointerdown: (e) => startDrag(e as PointerEvent, c) },
      h('span', { class: `map-dot ${c.deviceOnline ? 'online' : 'offline'}` }), c.dto.name ?? c.dto.channelId, h('span', { class: 'muted' }, ` ${c.dto.channelId}`))));
    sideNote.textContent = !unplaced.length ? t('map.allPlaced') : !mayPlace ? '' : mode === 'plan' ? t('map.dragHint') : t('map.dragNeedsPlan');
  }

  /** Drags a side-list channel onto the plan: a ghost follows the pointer; dropped on the plan, its pixel is stored. */
  function startDrag(e: PointerEvent, c: MapChannel): void {
    if (e.button !== 0 || view.currentMode !== 'plan' || !mayPlace) return;
    e.preventDefault();
    const ghost = h('div', { class: 'map-ghost' }, c.dto.name ?? c.dto.channelId);
    document.body.append(ghost);
    const move = (ev: PointerEvent) => {
      ghost.style.left = `${ev.clientX}px`;
      ghost.style.top = `${ev.clientY}px`;
    };
    move(e);
    const up = (ev: PointerEvent) => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      ghost.remove();
      const px = view.planPixelAt(ev.clientX, ev.clientY);
      if (px) void place(c, px);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  }

  async function place(c: MapChannel, px: [number, number]): Promise<void> {
    try {
      const p = await api<MapPositionDto>('PUT', `/api/map/positions/${encodeURIComponent(c.dto.channelId)}`, { x: Math.round(px[0] * 10) / 10, y: Math.round(px[1] * 10) / 10 });
      positions.set(p.channelId, [p.x, p.y]);
      draw();
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  }

  async function load(): Promise<void> {
    try {
      const [s, pos, info, devices, congestion] = await Promise.all([
        api<MapSettingsDto>('GET', '/api/map/settings'),
        api<MapPositionDto[]>('GET', '/api/map/positions'),
        api<MapPlanInfoDto>('GET', '/api/map/plan/info').catch((e: unknown) => {
          if (e instanceof ApiError && e.code === 'MAP_PLAN_NOT_FOUND') return null;
          throw e;
        }),
        api<DeviceDto[]>('GET', '/api/devices'),
        api<ChannelCongestionDto[]>('GET', '/api/congestion').catch(() => [] as ChannelCongestionDto[]),
      ]);
      const lists = await Promise.all(devices.slice(0, MAX_MAP_DEVICES).map((d) => api<ChannelDto[]>('GET', `/api/devices/${encodeURIComponent(d.deviceId)}/channels`).catch(() => [] as ChannelDto[])));
      let url: string | null = null;
      if (info) url = URL.createObjectURL(await apiBlob('/api/map/plan'));
      if (disposed) {
        if (url) URL.revokeObjectURL(url);
        return;
      }
      if (planUrl) URL.revokeObjectURL(planUrl);
      planUrl = url;
      plan = info;
      settings = s;
      positions = new Map(pos.map((p) => [p.channelId, [p.x, p.y]]));
      const levels = new Map(congestion.map((c) => [c.channelId, worstLevel(c.scores)]));
      const online = new Map(devices.map((d) => [d.deviceId, d.online]));
      channels.clear();
      for (const list of lists) for (const c of list) if (isCamera(c)) channels.set(c.channelId, { dto: c, deviceOnline: online.get(c.deviceId) ?? false, level: levels.get(c.channelId) ?? null });
      fillForms();
      draw();
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  }

  let moved: ReturnType<typeof setTimeout> | undefined;
  const offEvents = ctx.events.on((e) => {
    if (e.type === 'congestion.score') {
      const c = channels.get(e.data.channelId);
      const level = c ? worstLevel(e.data.scores) : null;
      // Scores come several times a second: redraw one marker, and only when its level changed.
      if (c && level !== c.level) {
        c.level = level;
        const el = view.el.querySelector<HTMLElement>(`.map-marker[data-channel-id="${CSS.escape(c.dto.channelId)}"]`);
        if (el) styleMarker(el, c);
      }
    } else if (e.type === 'device.online' || e.type === 'device.offline') {
      let changed = false;
      for (const c of channels.values()) if (c.dto.deviceId === e.data.deviceId) {
        c.deviceOnline = e.type === 'device.online';
        changed = true;
      }
      if (changed) draw();
    } else if (e.type === 'catalog.updated') void load();
    else if (e.type === 'position.updated') {
      // A moving camera: follow its latest position, redrawing at most once a second whatever the fleet reports.
      const c = channels.get(e.data.channelId);
      if (!c) return;
      c.dto = { ...c.dto, position: e.data };
      moved ??= setTimeout(() => {
        moved = undefined;
        draw();
      }, 1000);
    }
  });

  const legend = h('div', { class: 'map-legend toolbar' },
    ...CONGESTION_LEVELS.map((l) => h('span', { class: `level ${l}` }, t(`level.${l}`))),
    h('span', {}, h('span', { class: 'map-dot online' }), ' ', t('map.online')),
    h('span', {}, h('span', { class: 'map-dot offline' }), ' ', t('map.offline')));

  root.append(h('section', { class: 'page map-page' },
    h('div', { class: 'toolbar' }, h('h1', {}, t('map.title')), modeSelect, h('span', { class: 'grow' }), legend, h('button', { onclick: () => void load() }, t('common.refresh'))),
    status,
    h('div', { class: 'map-layout' },
      h('aside', { class: 'map-side' }, h('h2', {}, t('map.unplaced')), sideNote, side),
      h('div', { class: 'map-main' }, view.el, live)),
    mayPlace ? h('details', { class: 'map-settings', 'data-field': 'map-settings' },
      h('summary', {}, t('map.settings')),
      h('h2', {}, t('map.planTitle')), uploadForm,
      mayConfigure ? [h('h2', {}, t('map.refTitle')), h('p', { class: 'muted' }, t('map.refHelp')), refForm] : null,
      mayConfigure ? [h('h2', {}, t('map.tilesTitle')), h('p', { class: 'muted' }, t('map.tilesHelp')), tileForm] : null) : null));
  void load();

  return () => {
    disposed = true;
    clearTimeout(moved);
    offEvents();
    tile.release();
    view.dispose();
    if (planUrl) URL.revokeObjectURL(planUrl);
  };
}
