import type { Roi } from '@gb/contracts';
import { api, apiBlob, messageOf } from './api';
import { h, svg, toast } from './dom';
import { t } from './i18n';

/** Bounds the gateway enforces (apps/gateway/src/congestion/congestion.dto.ts); checked here first to say why early. */
const MAX_ROIS = 16;
const MAX_POINTS = 64;
const ROI_ID = /^[A-Za-z0-9_.-]{1,64}$/;
/** Largest ROI file the import reads (the gateway's JSON body bound is 64 KiB). */
const MAX_IMPORT_BYTES = 64 * 1024;
const PALETTE = ['#eab308', '#2563eb', '#db2777', '#0891b2', '#7c3aed', '#ea580c', '#16a34a'];

type Point = [number, number];
interface EditRoi {
  id: string;
  polygon: Point[];
  calibration?: Roi['calibration'];
}

/** Normalised 0–1 coordinates, 4 decimals (a tenth of a pixel at 1920 wide is finer than anyone clicks). */
const norm = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 10_000) / 10_000;

/**
 * What is wrong with a ROI list before it is sent, or null: the gateway says it too (400 VALIDATION_FAILED), but
 * naming the ROI here is kinder than a field path.
 */
export function roiProblem(rois: readonly EditRoi[]): string | null {
  if (rois.length > MAX_ROIS) return t('roiEditor.tooMany', { n: MAX_ROIS });
  const ids = new Set<string>();
  for (const r of rois) {
    if (!ROI_ID.test(r.id)) return t('roiEditor.badId', { id: r.id });
    if (ids.has(r.id)) return t('roiEditor.duplicateId', { id: r.id });
    ids.add(r.id);
    if (r.polygon.length < 3) return t('roiEditor.fewPoints', { id: r.id });
    if (r.polygon.length > MAX_POINTS) return t('roiEditor.manyPoints', { id: r.id, n: MAX_POINTS });
  }
  return null;
}

/** The eval command's ROI file (apps/vision-worker/src/eval/roi-file.ts): a JSON array of {id, polygon, calibration?}. */
export function parseRoiFile(text: string): EditRoi[] {
  const json: unknown = JSON.parse(text);
  if (!Array.isArray(json)) throw new Error(t('roiEditor.notArray'));
  return json.map((item: unknown, i) => {
    const o = item as { id?: unknown; polygon?: unknown; calibration?: unknown };
    const poly = o && typeof o === 'object' ? o.polygon : undefined;
    const ok = typeof o?.id === 'string' && Array.isArray(poly) && poly.every((p: unknown) => Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === 'number' && v >= 0 && v <= 1));
    if (!ok) throw new Error(t('roiEditor.badEntry', { n: i + 1 }));
    return { id: o.id as string, polygon: (poly as Point[]).map(([x, y]) => [x, y] as Point), ...(o.calibration && typeof o.calibration === 'object' ? { calibration: o.calibration as Roi['calibration'] } : {}) };
  });
}

/**
 * A polygon editor over a snapshot of the channel: click adds a point to the selected ROI, dragging a point moves
 * it, right-click (or "Delete point") removes one; each ROI has a name; Save PUTs them; Export / Import are the
 * eval command's ROI file. Coordinates are normalised 0–1, origin top-left, as the worker reads them.
 */
export function roiEditor(channelId: string, deviceId: string): { el: HTMLDetailsElement; dispose: () => void } {
  const ctrl = new AbortController();
  let rois: EditRoi[] = [];
  let selected = -1;
  let selectedPoint = -1;
  let W = 1600;
  let H = 900;
  let snapshotUrl: string | null = null;
  let drag: { roi: number; point: number; moved: boolean } | null = null;

  const img = h('img', { class: 'roi-snapshot', alt: t('roiEditor.snapshotAlt', { id: channelId }), draggable: 'false' });
  const snapNote = h('p', { class: 'muted roi-snapshot-note' }, t('roiEditor.snapshotLoading'));
  const overlay = svg('svg', { class: 'roi-overlay', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', 'data-field': 'roi-canvas' });
  const stage = h('div', { class: 'roi-stage' }, img, overlay);
  const list = h('ul', { class: 'roi-list' });
  const error = h('p', { class: 'error', role: 'alert' });
  const fileInput = h('input', { type: 'file', accept: 'application/json,.json', hidden: true, 'data-field': 'roi-import' });
  const details = h('details', { class: 'roi-editor' }, h('summary', {}, t('roiEditor.summary')));

  const pointAt = (e: MouseEvent): Point => {
    const box = overlay.getBoundingClientRect();
    return [norm((e.clientX - box.left) / Math.max(1, box.width)), norm((e.clientY - box.top) / Math.max(1, box.height))];
  };

  const draw = () => {
    const r = Math.max(W, H) / 110;
    const parts: SVGElement[] = [];
    rois.forEach((roi, i) => {
      const color = PALETTE[i % PALETTE.length]!;
      const pts = roi.polygon.map(([x, y]) => `${x * W},${y * H}`).join(' ');
      const shape = roi.polygon.length >= 3 ? svg('polygon', { points: pts }) : svg('polyline', { points: pts });
      for (const [k, v] of Object.entries({ stroke: color, 'stroke-width': r / 2.5, fill: roi.polygon.length >= 3 ? color : 'none', 'fill-opacity': i === selected ? 0.25 : 0.12, 'data-roi': roi.id, class: 'roi-shape' })) shape.setAttribute(k, String(v));
      parts.push(shape);
      if (roi.polygon.length && roi.id) {
        const [x, y] = roi.polygon[0]!;
        parts.push(svg('text', { x: x * W + r, y: y * H < r * 4 ? y * H + r * 3.5 : y * H - r, fill: color, 'font-size': r * 2.4, class: 'roi-label' }, roi.id));
      }
    });
    const sel = rois[selected];
    sel?.polygon.forEach(([x, y], j) => {
      parts.push(svg('circle', { cx: x * W, cy: y * H, r: j === selectedPoint ? r * 1.4 : r, class: `roi-handle${j === selectedPoint ? ' selected' : ''}`, 'data-index': j }));
    });
    overlay.replaceChildren(...parts);
  };

  const renderList = () => {
    list.replaceChildren(
      ...rois.map((roi, i) => {
        const name = h('input', { value: roi.id, 'aria-label': t('roiEditor.name'), placeholder: t('roiEditor.name'), 'data-field': 'roi-name', maxlength: 64, spellcheck: 'false' });
        name.addEventListener('input', () => {
          roi.id = name.value.trim();
          draw();
        });
        name.addEventListener('focus', () => select(i));
        return h('li', { class: i === selected ? 'selected' : '', 'data-roi-index': i },
          h('input', { type: 'radio', name: `roi-sel-${channelId}`, checked: i === selected, 'aria-label': t('roiEditor.select'), onchange: () => select(i) }),
          h('span', { class: 'swatch', style: `background:${PALETTE[i % PALETTE.length]}` }),
          name,
          h('span', { class: 'muted' }, t('roiEditor.points', { n: roi.polygon.length })),
          h('button', { type: 'button', class: 'danger', 'data-action': 'roi-remove', onclick: () => remove(i) }, t('roiEditor.removeRoi')),
        );
      }),
    );
    if (!rois.length) list.append(h('li', { class: 'muted' }, t('roiEditor.none')));
  };

  const render = () => {
    renderList();
    draw();
  };
  const select = (i: number) => {
    if (selected === i) return;
    selected = i;
    selectedPoint = -1;
    render();
  };
  const remove = (i: number) => {
    rois.splice(i, 1);
    selected = Math.min(selected, rois.length - 1);
    selectedPoint = -1;
    render();
  };
  const addRoi = () => {
    if (rois.length >= MAX_ROIS) return void (error.textContent = t('roiEditor.tooMany', { n: MAX_ROIS }));
    let n = rois.length + 1;
    while (rois.some((r) => r.id === `roi-${n}`)) n++;
    rois.push({ id: `roi-${n}`, polygon: [] });
    selected = rois.length - 1;
    selectedPoint = -1;
    render();
  };
  const deletePoint = () => {
    const roi = rois[selected];
    if (!roi || selectedPoint < 0) return;
    roi.polygon.splice(selectedPoint, 1);
    selectedPoint = -1;
    render();
  };

  overlay.addEventListener('pointerdown', (e) => {
    const idx = (e.target as Element).getAttribute('data-index');
    if (idx === null || e.button !== 0) return;
    drag = { roi: selected, point: Number(idx), moved: false };
    selectedPoint = Number(idx);
    overlay.setPointerCapture(e.pointerId);
    e.preventDefault();
    draw();
  });
  overlay.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const roi = rois[drag.roi];
    if (!roi) return;
    roi.polygon[drag.point] = pointAt(e);
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
    if (selected < 0) addRoi();
    const roi = rois[selected]!;
    if (roi.polygon.length >= MAX_POINTS) return void (error.textContent = t('roiEditor.manyPoints', { id: roi.id, n: MAX_POINTS }));
    // Between the selected point and the next, so a point can be inserted in an edge; else at the end.
    const at = selectedPoint >= 0 ? selectedPoint + 1 : roi.polygon.length;
    roi.polygon.splice(at, 0, pointAt(e));
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

  const load = () => {
    api<Roi[]>('GET', `/api/channels/${channelId}/rois`, undefined, ctrl.signal)
      .then((list) => {
        rois = list.map((r) => ({ id: r.id, polygon: r.polygon.map(([x, y]) => [x, y] as Point), ...(r.calibration ? { calibration: r.calibration } : {}) }));
        selected = rois.length ? 0 : -1;
        render();
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
    const problem = roiProblem(rois);
    if (problem) return void (error.textContent = problem);
    api<Roi[]>('PUT', `/api/channels/${channelId}/rois`, { deviceId, rois })
      .then(() => toast(t('roi.saved')))
      .catch((e: unknown) => (error.textContent = messageOf(e)));
  };

  const exportFile = () => {
    const blob = new Blob([`${JSON.stringify(rois, null, 2)}\n`], { type: 'application/json' });
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
        rois = parseRoiFile(text);
        selected = rois.length ? 0 : -1;
        selectedPoint = -1;
        render();
        toast(t('roiEditor.imported', { n: rois.length }));
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
    snapNote,
    stage,
    list,
    error,
    h('div', { class: 'buttons' },
      h('button', { type: 'button', 'data-action': 'roi-add', onclick: addRoi }, t('roiEditor.addRoi')),
      h('button', { type: 'button', 'data-action': 'roi-delete-point', onclick: deletePoint }, t('roiEditor.deletePoint')),
      h('button', { type: 'button', 'data-action': 'roi-export', onclick: exportFile }, t('roiEditor.export')),
      h('button', { type: 'button', 'data-action': 'roi-import', onclick: () => fileInput.click() }, t('roiEditor.import')),
      fileInput,
      h('span', { class: 'grow' }),
      h('button', { type: 'button', class: 'primary', 'data-action': 'roi-save', onclick: save }, t('roi.save')),
    ),
  );
  return {
    el: details,
    dispose: () => {
      ctrl.abort();
      if (snapshotUrl) URL.revokeObjectURL(snapshotUrl);
    },
  };
}
