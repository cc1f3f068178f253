import type { ChannelDto, ChannelPresetsDto } from '@gb/contracts';
import { api, messageOf } from '../api';
import { h, toast } from '../dom';
import { t, type MessageKey } from '../i18n';
import { armDragZoom } from './drag-zoom';

/**
 * The rest of a dome's PTZ beside the pad (GB/T 28181 Annex A.3, §A.2.3.1): focus and iris (held, like the pad),
 * the presets the camera lists with their names (PresetQuery), home position, cruise and scan, and box zoom (a
 * rectangle dragged on the live video sent as DragZoomIn/Out, §A.2.3.1) on the video `videoOf` returns.
 */
export function ptzExtras(c: ChannelDto, videoOf: () => HTMLVideoElement | null = () => null): HTMLElement {
  const base = `/api/devices/${c.deviceId}/channels/${c.channelId}`;
  const fail = (e: unknown) => toast(t('ptz.error', { message: messageOf(e) }), 'error');
  const ptz = (body: Record<string, unknown>) => api('POST', `${base}/ptz`, body).catch(fail);
  const control = (body: Record<string, unknown>, done: string) =>
    api('POST', `/api/devices/${c.deviceId}/control`, { channelId: c.channelId, ...body }).then(() => toast(done), fail);
  const hold = (key: MessageKey, fi: { focus?: number; iris?: number }) => {
    const b = h('button', { class: 'ptz', 'data-ptz': key }, t(key));
    let on = false;
    const stop = () => {
      if (!on) return;
      on = false;
      void ptz({ action: 'focusIris', focus: 0, iris: 0 });
    };
    b.addEventListener('pointerdown', () => {
      on = true;
      void ptz({ action: 'focusIris', ...fi });
    });
    b.addEventListener('pointerup', stop);
    b.addEventListener('pointerleave', stop);
    return b;
  };
  const num = (value: number, min: number, max: number, key: MessageKey) =>
    h('input', { type: 'number', min: String(min), max: String(max), value: String(value), title: t(key), 'aria-label': t(key), class: 'ptz-preset', 'data-field': key }) as HTMLInputElement;

  const presets = h('select', { 'aria-label': t('ptz.presets'), 'data-field': 'presets' }, h('option', { value: '' }, t('ptz.presetsNone'))) as HTMLSelectElement;
  const loadPresets = async () => {
    try {
      const r = await api<ChannelPresetsDto>('GET', `${base}/presets`);
      presets.replaceChildren(...(r.presets.length ? r.presets.map((p) => h('option', { value: String(p.index) }, `${p.index} ${p.name}`)) : [h('option', { value: '' }, t('ptz.presetsNone'))]));
    } catch (e) {
      fail(e);
    }
  };
  const homeOn = h('input', { type: 'checkbox', checked: true, 'aria-label': t('ptz.homeEnabled') }) as HTMLInputElement;
  const homePreset = num(1, 0, 255, 'ptz.homePreset');
  const homeTime = num(30, 0, 86400, 'ptz.homeResetS');
  const group = num(1, 0, 255, 'ptz.group');
  const point = num(1, 1, 255, 'ptz.preset');
  const speed = num(30, 0, 4095, 'ptz.trackSpeed');
  const stay = num(10, 0, 4095, 'ptz.stayS');

  let disarm: (() => void) | null = null;
  const boxZoom = (command: 'dragZoomIn' | 'dragZoomOut', key: MessageKey) => {
    const b = h('button', { 'data-action': command, 'aria-pressed': 'false', title: t('ptz.dragZoomHint') }, t(key)) as HTMLButtonElement;
    b.addEventListener('click', () => {
      const armed = b.getAttribute('aria-pressed') === 'true';
      disarm?.();
      if (armed) return;
      const video = videoOf();
      if (!video || !video.videoWidth) return toast(t('ptz.dragZoomNoVideo'), 'error');
      b.setAttribute('aria-pressed', 'true');
      disarm = armDragZoom(video, (fields) => {
        b.setAttribute('aria-pressed', 'false');
        disarm = null;
        if (fields) void control({ command, ...fields }, t('ptz.dragZoomSent'));
      });
    });
    return b;
  };

  return h('div', { class: 'ptz-extras', 'data-field': 'ptz-extras' },
    h('div', { class: 'toolbar' },
      h('span', { class: 'muted' }, t('ptz.focusIris')),
      hold('ptz.focusNear', { focus: -1 }), hold('ptz.focusFar', { focus: 1 }), hold('ptz.irisOpen', { iris: 1 }), hold('ptz.irisClose', { iris: -1 }),
      h('span', { class: 'grow' }),
      presets,
      h('button', { onclick: () => void loadPresets() }, t('ptz.loadPresets')),
      h('button', { onclick: () => presets.value && void ptz({ action: 'preset', op: 'call', index: Number(presets.value) }) }, t('ptz.goto')),
    ),
    h('div', { class: 'toolbar' },
      h('span', { class: 'muted' }, t('ptz.home')),
      h('label', {}, homeOn, t('ptz.homeEnabled')), homePreset, homeTime,
      h('button', { onclick: () => void control({ command: 'homePosition', enabled: homeOn.checked, presetIndex: Number(homePreset.value), resetTimeS: Number(homeTime.value) }, t('ptz.homeSet')) }, t('ptz.homeApply')),
      h('span', { class: 'grow' }),
      h('span', { class: 'muted' }, t('ptz.dragZoom')), boxZoom('dragZoomIn', 'ptz.dragZoomIn'), boxZoom('dragZoomOut', 'ptz.dragZoomOut'),
    ),
    h('div', { class: 'toolbar' },
      h('span', { class: 'muted' }, t('ptz.track')), group, point, speed, stay,
      h('button', { onclick: () => void ptz({ action: 'cruise', op: 'add', group: Number(group.value), preset: Number(point.value) }) }, t('ptz.cruiseAdd')),
      h('button', { onclick: () => void ptz({ action: 'cruise', op: 'remove', group: Number(group.value), preset: Number(point.value) }) }, t('ptz.cruiseRemove')),
      h('button', { onclick: () => void ptz({ action: 'cruise', op: 'speed', group: Number(group.value), value: Number(speed.value) }) }, t('ptz.cruiseSpeed')),
      h('button', { onclick: () => void ptz({ action: 'cruise', op: 'stay', group: Number(group.value), value: Number(stay.value) }) }, t('ptz.cruiseStay')),
      h('button', { onclick: () => void ptz({ action: 'cruise', op: 'start', group: Number(group.value) }) }, t('ptz.cruiseStart')),
      h('button', { onclick: () => void ptz({ action: 'scan', op: 'left', group: Number(group.value) }) }, t('ptz.scanLeft')),
      h('button', { onclick: () => void ptz({ action: 'scan', op: 'right', group: Number(group.value) }) }, t('ptz.scanRight')),
      h('button', { onclick: () => void ptz({ action: 'scan', op: 'speed', group: Number(group.value), value: Number(speed.value) }) }, t('ptz.scanSpeed')),
      h('button', { onclick: () => void ptz({ action: 'scan', op: 'start', group: Number(group.value) }) }, t('ptz.scanStart')),
      h('button', { onclick: () => void ptz({ action: 'stop' }) }, t('ptz.trackStop')),
    ),
  );
}
