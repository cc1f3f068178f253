import type { ChannelRoisDto } from '@gb/contracts';
import { api, apiBlob, messageOf } from './api';
import { h, svg, toast } from './dom';
import { t } from './i18n';
import { MAX_POINTS, MAX_ROIS, MAX_ZONES, parseRoiFile, roiProblem, type EditRoi, type EditZone, type Point, type RoiFile } from './roi-file';

/** Largest ROI file the import reads (the gateway's JSON body bound is 64 KiB). */
const MAX_IMPORT_BYTES = 64 * 1024;
const PALETTE = ['#eab308', '#2563eb', '#db2777', '#0891b2', '#7c3aed', '#ea580c', '#16a34a'];
/** Exclusion zones are red and hatched, apart from every ROI colour. */
const ZONE_COLOUR = '#dc2626';

/** What the editor draws: ROIs (scored) or exclusion zones (detections inside never count). */
type Mode = 'roi' | 'exclusion';

/** Normalised 0–1 coordinates, 4 decimals (a tenth of a pixel at 1920 wide is finer than anyone clicks). */
const norm = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 10_000) / 10_000;

/**
 * A polygon editor over a snapshot of the channel: click adds a point to the selected polygon, dragging a point moves
 * it, right-click (or "Delete point") removes one; each polygon has a name. A mode switch chooses what is drawn: ROIs
 * (scored) or exclusion zones (red, hatched: detections whose centre lies inside never count). Save PUTs both at once;
 * Export / Import are the eval command's ROI file (`{rois, exclusions}` once there are zones). Coordinates are
 * normalised 0–1, origin top-left, as the worker reads them.
 */
export function roiEditor(channelId: string, deviceId: string): { el: HTMLDetailsElement; dispose: () => void } {
  const ctrl = new AbortController();
  let rois: EditRoi[] = [];
  let zones: EditZone[] = [];
  let mode: Mode = 'roi';
  /** Index of the selected polygon in the list of the current mode. */
  let selected = -1;
  let selectedPoint = -1;
  let W = 1600;
  let H = 900;
  let snapshotUrl: string | null = null;
  let drag: { item: number; point: number; moved: boolean } | null = null;
  const items = (): EditZone[] => (mode === 'roi' ? rois : zones);
  const hatchId = `roi-zone-hatch-${channelId.replace(/[^A-Za-z0-9_-]/g, '')}`;

  const img = h('img', { class: 'roi-snapshot', alt: t('roiEditor.snapshotAlt', { id: channelId }), draggable: 'false' });
  const snapNote = h('p', { class: 'muted roi-snapshot-note' }, t('roiEditor.snapshotLoading'));
  const overlay = svg('svg', { class: 'roi-overlay', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', 'data-field': 'roi-canvas' });
  const stage = h('div', { class: 'roi-stage' }, img, overlay);
  const list = h('ul', { class: 'roi-list', 'data-field': 'roi-list' });
  const zoneList = h('ul', { class: 'roi-list zone-list', 'data-field': 'zone-list' });
  const error = h('p', { class: 'error', role: 'alert' });
  const fileInput = h('input', { type: 'file', accept: 'application/json,.json', hidden: true, 'data-field': 'roi-import' });
  const details = h('details', { class: 'roi-editor' }, h('summary', {}, t('roiEditor.summary')));
  const addBtn = h('button', { type: 'button', 'data-action': 'roi-add', onclick: () => addItem() }, t('roiEditor.addRoi'));
  const modeBtns = (['roi', 'exclusion'] as const).map((m) =>
    h('button', { type: 'button', class: 'roi-mode-btn', 'data-action': 'roi-mode', 'data-mode': m, 'aria-pressed': String(m === mode), onclick: () => setMode(m) }, t(m === 'roi' ? 'roiEditor.modeRoi' : 'roiEditor.modeZone')),
  );

  const pointAt = (e: MouseEvent): Point => {
    const box = overlay.getBoundingClientRect();
    return [norm((e.clientX - box.left) / Math.max(1, box.width)), norm((e.clientY - box.top) / Math.max(1, box.height))];
  };

  const draw = () => {
    const r = Math.max(W, H) / 110;
    const parts: SVGElement[] = [
      svg('defs', {}, svg('pattern', { id: hatchId, patternUnits: 'userSpaceOnUse', width: r, height: r, patternTransform: 'rotate(45)' },
        svg('line', { x1: 0, y1: 0, x2: 0, y2: r, stroke: ZONE_COLOUR, 'stroke-width': r / 3, 'stroke-opacity': 0.6 }))),
    ];
    const label = (id: string, [x, y]: Point, color: string) =>
      svg('text', { x: x * W + r, y: y * H < r * 4 ? y * H + r * 3.5 : y * H - r, fill: color, 'font-size': r * 2.4, class: 'roi-label' }, id);
    rois.forEach((roi, i) => {
      const color = PALETTE[i % PALETTE.length]!;
      const pts = roi.polygon.map(([x, y]) => `${x * W},${y * H}`).join(' ');
      const shape = roi.polygon.length >= 3 ? svg('polygon', { points: pts }) : svg('polyline', { points: pts });
      const on = mode === 'roi' && i === selected;
      for (const [k, v] of Object.entries({ stroke: color, 'stroke-width': r / 2.5, fill: roi.polygon.length >= 3 ? color : 'none', 'fill-opacity': on ? 0.25 : 0.12, 'data-roi': roi.id, class: 'roi-shape' })) shape.setAttribute(k, String(v));
      parts.push(shape);
      if (roi.polygon.length && roi.id) parts.push(label(roi.id, roi.polygon[0]!, color));
    });
    zones.forEach((zone, i) => {
      const pts = zone.polygon.map(([x, y]) => `${x * W},${y * H}`).join(' ');
      const closed = zone.polygon.length >= 3;
      const on = mode === 'exclusion' && i === selected;
      parts.push(svg(closed ? 'polygon' : 'polyline', {
        points: pts, stroke: ZONE_COLOUR, 'stroke-width': on ? r / 2 : r / 3, 'stroke-dasharray': `${r} ${r / 2}`, fill: closed ? `url(#${hatchId})` : 'none', 'data-zone': zone.id, class: 'roi-shape roi-zone',
      }));
      if (zone.polygon.length && zone.id) parts.push(label(zone.id, zone.polygon[0]!, ZONE_COLOUR));
    });
    items()[selected]?.polygon.forEach(([x, y], j) => {
      parts.push(svg('circle', { cx: x * W, cy: y * H, r: j === selectedPoint ? r * 1.4 : r, class: `roi-handle${j === selectedPoint ? ' selected' : ''}`, 'data-index': j }));
    });
    overlay.replaceChildren(...parts);
  };

  /** One row of the ROI or the zone list: select, name, point count, remove. */
  const row = (kind: Mode, item: EditZone, i: number) => {
    const on = kind === mode && i === selected;
    const name = h('input', { value: item.id, 'aria-label': t(kind === 'roi' ? 'roiEditor.name' : 'roiEditor.zoneName'), placeholder: t(kind === 'roi' ? 'roiEditor.name' : 'roiEditor.zoneName'), 'data-field': kind === 'roi' ? 'roi-name' : 'zone-name', maxlength: 64, spellcheck: 'false' });
    name.addEventListener('input', () => {
      item.id = name.value.trim();
      draw();
    });
    name.addEventListener('focus', () => select(kind, i));
    return h('li', { class: on ? 'selected' : '', [kind === 'roi' ? 'data-roi-index' : 'data-zone-index']: i },
      h('input', { type: 'radio', name: `roi-sel-${channelId}`, checked: on, 'aria-label': t(kind === 'roi' ? 'roiEditor.select' : 'roiEditor.zoneSelect'), onchange: () => select(kind, i) }),
      h('span', { class: kind === 'roi' ? 'swatch' : 'swatch zone', style: kind === 'roi' ? `background:${PALETTE[i % PALETTE.length]}` : '' }),
      name,
      h('span', { class: 'muted' }, t('roiEditor.points', { n: item.polygon.length })),
      h('button', { type: 'button', class: 'danger', 'data-action': kind === 'roi' ? 'roi-remove' : 'zone-remove', onclick: () => remove(kind, i) }, t('roiEditor.removeRoi')),
    );
  };

  const renderList = () => {
    list.replaceChildren(...rois.map((roi, i) => row('roi', roi, i)));
    if (!rois.length) list.append(h('li', { class: 'muted' }, t('roiEditor.none')));
    zoneList.replaceChildren(h('li', { class: 'zone-heading' }, h('strong', {}, t('roiEditor.zonesTitle'))), ...zones.map((zone, i) => row('exclusion', zone, i)));
    if (!zones.length) zoneList.append(h('li', { class: 'muted' }, t('roiEditor.noZones')));
  };

  const render = () => {
    renderList();
    draw();
  };
  const setMode = (m: Mode) => {
    if (mode === m) return;
    mode = m;
    // A click on the picture goes on with the last polygon of that kind, or starts the first one.
    selected = items().length - 1;
    selectedPoint = -1;
    for (const b of modeBtns) b.setAttribute('aria-pressed', String(b.dataset.mode === mode));
    addBtn.textContent = t(mode === 'roi' ? 'roiEditor.addRoi' : 'roiEditor.addZone');
    error.textContent = '';
    render();
  };
  const select = (kind: Mode, i: number) => {
    if (kind !== mode) setMode(kind);
    if (selected === i) return;
    selected = i;
    selectedPoint = -1;
    render();
  };
  const remove = (kind: Mode, i: number) => {
    (kind === 'roi' ? rois : zones).splice(i, 1);
    if (kind === mode) selected = Math.min(selected, items().length - 1);
    selectedPoint = -1;
    render();
  };
  const addItem = () => {
    const list = items();
    const [max, prefix] = mode === 'roi' ? [MAX_ROIS, 'roi'] : [MAX_ZONES, 'zone'];
    if (list.length >= max) return void (error.textContent = t(mode === 'roi' ? 'roiEditor.tooMany' : 'roiEditor.zoneTooMany', { n: max }));
    let n = list.length + 1;
    while (list.some((r) => r.id === `${prefix}-${n}`)) n++;
    list.push({ id: `${prefix}-${n}`, polygon: [] });
    selected = list.length - 1;
    selectedPoint = -1;
    render();
  };
  const deletePoint = () => {
    const item = items()[selected];
    if (!item || selectedPoint < 0) return;
    item.polygon.splice(selectedPoint, 1);
    selectedPoint = -1;
    render();
  };

  overlay.addEventListener('pointerdown', (e) => {
    const idx = (e.target as Element).getAttribute('data-index');
    if (idx === null || e.button !== 0) return;
    drag = { item: selected, point: Number(idx), moved: false };
    selectedPoint = Number(idx);
    overlay.setPointerCapture(e.pointerId);
    e.preventDefault();
    draw();
  });
  overlay.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const item = items()[drag.item];
    if (!item) return;
    item.polygon[drag.point] = pointAt(e);
    drag.moved = true;
    draw();
  });
  const endDrag = (e: PointerEvent) => {
    if (!drag) return;
    if (overlay.hasPointerCapture(e.pointerId)) overlay.releasePointerCapture(e.pointerId);
    // The click that ends a press on a handle selects or moves it; it must not also add a point.
    window.setTimeout(() => (drag = null));
    renderList();
  };
  overlay.addEventListener('pointerup', endDrag);
  overlay.addEventListener('pointercancel', endDrag);
  overlay.addEventListener('click', (e) => {
    if (drag || (e.target as Element).hasAttribute('data-index')) return;
    error.textContent = '';
    if (selected < 0) addItem();
    const item = items()[selected];
    if (!item) return;
    if (item.polygon.length >= MAX_POINTS) return void (error.textContent = t(mode === 'roi' ? 'roiEditor.manyPoints' : 'roiEditor.zoneManyPoints', { id: item.id, n: MAX_POINTS }));
    // Between the selected point and the next, so a point can be inserted in an edge; else at the end.
    const at = selectedPoint >= 0 ? selectedPoint + 1 : item.polygon.length;
    item.polygon.splice(at, 0, pointAt(e));
    selectedPoint = selectedPoint >= 0 ? at : -1;
    render();
  });
  overlay.addEventListener('contextmenu', (e) => {
    const idx = (e.target as Element).getAttribute('data-index');
    if (idx === null) return;
    e.preventDefault();
    selectedPoint = Number(idx);
    deletePoint();
  });

  const copy = (polygon: readonly Point[]) => polygon.map(([x, y]) => [x, y] as Point);
  /** Shows what the gateway stored (load, save) or what a file holds (import). */
  const show = (file: RoiFile) => {
    rois = file.rois.map((r) => ({ id: r.id, polygon: copy(r.polygon), ...(r.calibration ? { calibration: r.calibration } : {}) }));
    zones = file.exclusions.map((z) => ({ id: z.id, polygon: copy(z.polygon) }));
    selected = items().length ? 0 : -1;
    selectedPoint = -1;
    render();
  };

  const load = () => {
    // What the gateway stored replaces the editor's lists only if the operator has not drawn meanwhile: on a busy
    // gateway this answer can come after the first points, or even after a save, and would wipe them.
    const asAsked = JSON.stringify([rois, zones]);
    api<ChannelRoisDto>('GET', `/api/channels/${channelId}/rois?include=exclusions`, undefined, ctrl.signal)
      .then((file) => {
        if (JSON.stringify([rois, zones]) === asAsked) show(file);
      })
      .catch((e: unknown) => {
        if (!ctrl.signal.aborted) error.textContent = messageOf(e);
      });
    // The snapshot joins (or starts) the live stream and waits for a keyframe: it can take a few seconds.
    apiBlob(`/api/devices/${deviceId}/channels/${channelId}/snapshot`, ctrl.signal)
      .then((b) => {
        snapshotUrl = URL.createObjectURL(b);
        img.onload = () => {
          W = img.naturalWidth || W;
          H = img.naturalHeight || H;
          overlay.setAttribute('viewBox', `0 0 ${W} ${H}`);
          stage.style.aspectRatio = `${W} / ${H}`;
          snapNote.hidden = true;
          draw();
        };
        img.src = snapshotUrl;
      })
      .catch((e: unknown) => {
        if (!ctrl.signal.aborted) snapNote.textContent = t('roiEditor.snapshotFailed', { message: messageOf(e) });
      });
  };

  const save = () => {
    error.textContent = '';
    const problem = roiProblem(rois, zones);
    if (problem) return void (error.textContent = problem);
    // One PUT for both: with `exclusions` the gateway replaces the zones too and answers {rois, exclusions}.
    api<ChannelRoisDto>('PUT', `/api/channels/${channelId}/rois`, { deviceId, rois, exclusions: zones })
      .then(() => toast(t('roi.saved')))
      .catch((e: unknown) => (error.textContent = messageOf(e)));
  };

  const exportFile = () => {
    // The eval command's array while there is no zone; `{rois, exclusions}` (a PUT body as it is) once there is one.
    const body = zones.length ? { rois, exclusions: zones } : rois;
    const blob = new Blob([`${JSON.stringify(body, null, 2)}\n`], { type: 'application/json' });
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: `rois-${channelId}.json` });
    document.body.append(a);
    a.click();
    a.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0];
    fileInput.value = '';
    if (!file) return;
    error.textContent = '';
    if (file.size > MAX_IMPORT_BYTES) return void (error.textContent = t('roiEditor.fileTooLarge', { n: MAX_IMPORT_BYTES / 1024 }));
    file
      .text()
      .then((text) => {
        const parsed = parseRoiFile(text);
        show(parsed);
        toast(parsed.exclusions.length ? t('roiEditor.importedWithZones', { n: parsed.rois.length + parsed.exclusions.length }) : t('roiEditor.imported', { n: parsed.rois.length }));
      })
      .catch((e: unknown) => (error.textContent = t('roiEditor.importFailed', { message: (e as Error).message })));
  });

  let loaded = false;
  details.addEventListener('toggle', () => {
    if (!details.open || loaded) return;
    loaded = true;
    load();
  });
  details.append(
    h('p', { class: 'muted' }, t('roiEditor.help')),
    h('p', { class: 'muted' }, t('roiEditor.zonesHelp')),
    h('div', { class: 'roi-mode', role: 'group', 'aria-label': t('roiEditor.mode') }, h('span', { class: 'muted' }, t('roiEditor.mode')), ...modeBtns),
    snapNote,
    stage,
    list,
    zoneList,
    error,
    h('div', { class: 'buttons' },
      addBtn,
      h('button', { type: 'button', 'data-action': 'roi-delete-point', onclick: deletePoint }, t('roiEditor.deletePoint')),
      h('button', { type: 'button', 'data-action': 'roi-export', onclick: exportFile }, t('roiEditor.export')),
      h('button', { type: 'button', 'data-action': 'roi-import', onclick: () => fileInput.click() }, t('roiEditor.import')),
      fileInput,
      h('span', { class: 'grow' }),
      h('button', { type: 'button', class: 'primary', 'data-action': 'roi-save', onclick: save }, t('roi.save')),
    ),
  );
  render();
  return {
    el: details,
    dispose: () => {
      ctrl.abort();
      if (snapshotUrl) URL.revokeObjectURL(snapshotUrl);
    },
  };
}
