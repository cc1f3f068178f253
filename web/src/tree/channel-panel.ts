import type { ChannelDto, DeviceDto, StreamTransport } from '@gb/contracts';
import { api, apiBlob, messageOf } from '../api';
import type { AppContext } from '../app-context';
import type { StreamDto } from '../api-types';
import { h, toast } from '../dom';
import { InlinePlayer, preferredTransport, type PlayMode } from '../player';
import { browserDecodesHevc, playBody } from '../player-codec';
import { formatDateTime, t } from '../i18n';
import { mountRecordsPanel } from '../pages/records.panel';
import { can } from '../session-role';
import { voiceControls } from '../voice-client';
import { ptzExtras } from './ptz-extras';

export const channelLabel = (c: ChannelDto): string => c.name || c.channelId;

/** Pan/tilt/zoom buttons: move while pressed, stop on release; presets by number. */
function ptzPad(c: ChannelDto): HTMLElement {
  const send = (body: Record<string, unknown>) =>
    api('POST', `/api/devices/${c.deviceId}/channels/${c.channelId}/ptz`, body).catch((e: unknown) => toast(t('ptz.error', { message: messageOf(e) }), 'error'));
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
}

/**
 * The right-hand panel of a channel list: live video (with the PTZ pad where the role may steer and the camera is
 * not fixed), a snapshot, the records timeline. Each channel's own device answers (c.deviceId).
 */
export class ChannelPanel {
  readonly el = h('div', { class: 'panel' }, h('p', { class: 'muted hint' }, t('channels.hint')));
  private closeCurrent: (() => void) | null = null;
  private preferredMode: PlayMode = preferredTransport();

  constructor(
    private readonly ctx: AppContext,
    private readonly deviceOf: (deviceId: string) => DeviceDto | null,
  ) {}

  private set(content: HTMLElement, onClose?: () => void): void {
    this.closeCurrent?.();
    this.closeCurrent = onClose ?? null;
    this.el.replaceChildren(content);
  }

  private readonly clear = () => this.set(h('div'));

  play(c: ChannelDto, mode: PlayMode = this.preferredMode, transport?: StreamTransport): void {
    this.preferredMode = mode;
    const device = this.deviceOf(c.deviceId);
    const modeSel = h('select', { 'data-field': 'player-mode', title: t('live.player'), 'aria-label': t('live.player') }, h('option', { value: 'webrtc', selected: mode === 'webrtc' }, t('live.webrtc')), h('option', { value: 'hls', selected: mode === 'hls' }, t('live.hls')), h('option', { value: 'flv', selected: mode === 'flv' }, t('live.flv')));
    const trSel = h('select', { title: t('live.transportTitle'), 'aria-label': t('live.transportTitle') }, h('option', { value: '' }, t('live.deviceDefault', { transport: t(`transport.${device?.streamTransport ?? 'udp'}`) })), (['udp', 'tcp-passive', 'tcp-active'] as const).map((tr) => h('option', { value: tr, selected: tr === transport }, t(`transport.${tr}`))));
    const status = h('div', { class: 'player-status' }, t('live.asking'));
    const body = h('div', { class: 'player' }, h('div', { class: 'video placeholder' }), status);
    const links = h('span', { class: 'links' });
    let player: InlinePlayer | null = null;
    let cancelled = false;
    const again = () => this.play(c, modeSel.value as PlayMode, (trSel.value || undefined) as StreamTransport | undefined);
    // voice (talk / broadcast) where the role may operate the camera
    const voice = can('ptz') ? voiceControls(c) : null;
    modeSel.addEventListener('change', again);
    trSel.addEventListener('change', again);
    this.set(
      h('div', { class: 'card' },
        h('div', { class: 'toolbar' }, h('h2', {}, t('live.title', { name: channelLabel(c) })), h('span', { class: 'grow' }), modeSel, trSel, links, h('button', { onclick: this.clear }, t('common.close'))),
        body,
        c.ptzType === 3 || !can('ptz') ? h('div') : h('div', {}, ptzPad(c), ptzExtras(c, () => player?.video ?? null)),
        voice?.el ?? h('div'),
      ),
      () => {
        cancelled = true;
        player?.close();
        voice?.close();
      },
    );
    api<StreamDto>('POST', `/api/devices/${c.deviceId}/channels/${c.channelId}/play`, playBody(transport ? { transport } : {}, browserDecodesHevc()))
      .then((s) => {
        if (cancelled) return;
        player = new InlinePlayer(s, mode);
        body.replaceChildren(player.video, player.status);
        links.replaceChildren(h('a', { href: `${s.urls.player}&mode=${mode}`, target: '_blank', rel: 'noopener' }, t('live.openPlayer')));
      })
      .catch((e: unknown) => {
        status.textContent = messageOf(e);
        status.classList.add('error');
      });
  }

  snapshot(c: ChannelDto): void {
    const status = h('div', { class: 'player-status' }, t('snapshot.waiting'));
    const body = h('div', { class: 'player' }, h('div', { class: 'video placeholder' }), status);
    let url: string | null = null;
    const ctrl = new AbortController();
    this.set(
      h('div', { class: 'card' }, h('div', { class: 'toolbar' }, h('h2', {}, t('snapshot.title', { name: channelLabel(c) })), h('span', { class: 'grow' }), h('button', { onclick: () => this.snapshot(c) }, t('snapshot.again')), h('button', { onclick: this.clear }, t('common.close'))), body),
      () => {
        ctrl.abort();
        if (url) URL.revokeObjectURL(url);
      },
    );
    apiBlob(`/api/devices/${c.deviceId}/channels/${c.channelId}/snapshot`, ctrl.signal)
      .then((blob) => {
        url = URL.createObjectURL(blob);
        body.replaceChildren(h('img', { src: url, class: 'video', alt: t('snapshot.alt', { name: channelLabel(c) }) }), h('div', { class: 'player-status' }, formatDateTime(new Date())));
      })
      .catch((e: unknown) => {
        if ((e as Error).name === 'AbortError') return;
        status.textContent = messageOf(e);
        status.classList.add('error');
      });
  }

  records(c: ChannelDto): void {
    const card = h('div', { class: 'card' });
    const stop = mountRecordsPanel(card, this.ctx, c.deviceId, c, channelLabel(c), this.clear);
    this.set(card, stop);
  }

  close(): void {
    this.closeCurrent?.();
    this.closeCurrent = null;
  }
}
