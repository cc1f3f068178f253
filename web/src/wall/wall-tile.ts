import type { CongestionFormingDto, CongestionLevel, Roi, SnapshotBox, StreamDto } from '@gb/contracts';
import { api, ApiError, explainCode } from '../api';
import { h, svg } from '../dom';
import { formatNumber, getLocale, t } from '../i18n';
import { levelBadge } from '../pages/congestion.page';
import { InlinePlayer, preferredTransport, transportLabel, type PlayMode, type PlayTransport } from '../player';
import { browserDecodesHevc, playBody } from '../player-codec';
import type { StreamLeases } from './stream-leases';
import type { WallChannel } from './wall-store';

export type TileState = 'empty' | 'connecting' | 'live' | 'failed' | 'released';

/** A player that has not started playing this long after it started (WebRTC, then FLV) is given up for HLS. */
const FLV_START_TIMEOUT_MS = 12_000;

/** Labels the detector reports for vehicles (apps/vision-worker/src/model/classes.ts); anything else but a person is 'other'. */
const VEHICLE_LABELS = new Set(['car', 'truck', 'bus', 'motorcycle', 'bicycle', 'train']);
/** Box stroke by kind: vehicles green, persons magenta (ROIs are blue). */
const BOX_COLOURS = { vehicle: '#4ade80', person: '#e879f9', other: '#facc15' } as const;
/** Outline of a box that is not counted (SnapshotBox.ignored). */
const IGNORED_BOX_COLOUR = '#9ca3af';
const boxKind = (label: string): keyof typeof BOX_COLOURS => (label === 'person' ? 'person' : VEHICLE_LABELS.has(label) ? 'vehicle' : 'other');

/** Four corners: the usual full-screen sign, drawn (the text glyph is missing from many fonts). */
function fullscreenIcon(): SVGSVGElement {
  return svg('svg', { viewBox: '0 0 16 16', width: 13, height: 13, 'aria-hidden': 'true' },
    svg('path', { d: 'M1 5V1h4M11 1h4v4M15 11v4h-4M5 15H1v-4', fill: 'none', stroke: 'currentColor', 'stroke-width': 1.6 }));
}

/**
 * One tile of the video wall: a channel's name and state, its <video> (WebRTC first, then HTTP-FLV, HLS when FLV fails;
 * `?transport=flv` starts at FLV, see preferredTransport) with a small label of the transport it plays over, and for
 * a watched channel its congestion level (frame colour and badge) and ROI polygons drawn over the picture.
 * `release()` stops the player and lets go of the stream; `show()` or `resume()` plays again.
 */
export class WallTile {
  readonly el: HTMLElement;
  channel: WallChannel | null = null;
  state: TileState = 'empty';
  private readonly nameEl = h('span', { class: 'wall-name', 'data-field': 'tile-name' });
  private readonly stateEl = h('span', { class: 'wall-state', 'data-field': 'tile-state' });
  private readonly levelEl = h('span', { class: 'wall-level', 'data-field': 'tile-level' });
  /** WebRTC / FLV / HLS: what the tile's player plays over. */
  private readonly transportEl = h('span', { class: 'wall-transport', 'data-field': 'tile-transport', title: t('wall.tileTransport'), hidden: true });
  /** "Forming" while an onset warning is out for one of the channel's ROIs (congestion.forming). */
  private readonly formingEl = h('span', { class: 'forming-badge wall-forming', 'data-field': 'tile-forming', hidden: true }, t('congestion.forming'));
  private readonly screen = h('div', { class: 'wall-screen' });
  private readonly overlay = svg('svg', { class: 'wall-rois', 'data-field': 'tile-rois', viewBox: '0 0 16 9', preserveAspectRatio: 'xMidYMid meet' });
  private player: InlinePlayer | null = null;
  private streamId: string | null = null;
  private generation = 0;
  private bitrateKbps = 0;
  private rois: Roi[] = [];
  private boxes: SnapshotBox[] = [];
  private showBoxes = false;
  private readonly boxesBtn: HTMLButtonElement;
  /** Sound on/off for this tile (tiles start muted); shown when the stream has audio. */
  private readonly soundBtn: HTMLButtonElement;
  private muted = true;
  private flvTimer: number | undefined;
  private acquiredAt = Infinity;

  constructor(
    readonly index: number,
    private readonly leases: StreamLeases,
    handlers: { onClick(tile: WallTile): void; onDrop(tile: WallTile, data: string): void; onClear(tile: WallTile): void },
  ) {
    const full = h('button', { class: 'link', 'data-action': 'tile-fullscreen', title: t('wall.tileFullscreen'), 'aria-label': t('wall.tileFullscreen'), onclick: (e) => {
      e.stopPropagation();
      void this.el.requestFullscreen?.().catch(() => undefined);
    } }, fullscreenIcon());
    const clear = h('button', { class: 'link', 'data-action': 'tile-clear', title: t('wall.tileClear'), 'aria-label': t('wall.tileClear'), onclick: (e) => {
      e.stopPropagation();
      handlers.onClear(this);
    } }, '×');
    this.boxesBtn = h('button', { class: 'link', 'data-action': 'tile-boxes', hidden: true, 'aria-pressed': 'false', title: t('wall.tileBoxesTitle'), onclick: (e) => {
      e.stopPropagation();
      this.showBoxes = !this.showBoxes;
      this.boxesBtn.setAttribute('aria-pressed', String(this.showBoxes));
      this.drawRois();
    } }, t('wall.tileBoxes'));
    this.soundBtn = h('button', { class: 'link', 'data-action': 'tile-sound', hidden: true, 'aria-pressed': 'false', title: t('wall.tileSoundTitle'), onclick: (e) => {
      e.stopPropagation();
      this.setMuted(!this.muted);
    } }, t('wall.tileUnmute'));
    this.el = h('div', { class: 'wall-tile', 'data-tile': index, 'data-state': 'empty', 'data-muted': 'true' },
      this.screen, this.overlay,
      h('div', { class: 'wall-bar' }, this.nameEl, this.stateEl, this.transportEl, h('span', { class: 'grow' }), this.formingEl, this.levelEl, this.soundBtn, this.boxesBtn, full, clear));
    this.el.addEventListener('click', () => handlers.onClick(this));
    this.el.addEventListener('dblclick', () => void this.el.requestFullscreen?.().catch(() => undefined));
    this.el.addEventListener('dragover', (e) => {
      e.preventDefault();
      this.el.classList.add('drop');
    });
    this.el.addEventListener('dragleave', () => this.el.classList.remove('drop'));
    this.el.addEventListener('drop', (e) => {
      e.preventDefault();
      this.el.classList.remove('drop');
      const data = e.dataTransfer?.getData('application/x-gb-channel') || e.dataTransfer?.getData('text/plain');
      if (data) handlers.onDrop(this, data);
    });
    this.renderEmpty();
  }

  /** Plays `channel` here (or empties the tile); the same channel already playing is left alone. */
  show(channel: WallChannel | null): void {
    const same = channel && this.channel && channel.deviceId === this.channel.deviceId && channel.channelId === this.channel.channelId;
    // A failed tile tries again when shown again (picked anew, layout changed).
    if (same && this.state !== 'released' && this.state !== 'failed') return;
    this.release();
    this.channel = channel;
    this.rois = [];
    this.boxes = [];
    this.drawRois();
    this.setLevel(null);
    this.setForming([]);
    if (channel) void this.start(channel);
    else this.renderEmpty();
  }

  /** Plays again after release() (layout grown, page shown again). */
  resume(): void {
    if (this.channel && this.state === 'released') void this.start(this.channel);
  }

  /** Stops the player and lets go of the stream (the last holder stops it at the gateway). Safe to call twice. */
  release(): void {
    this.generation++;
    window.clearTimeout(this.flvTimer);
    this.player?.close();
    this.player = null;
    this.showTransport(null);
    if (this.streamId) void this.leases.release(this.streamId);
    this.streamId = null;
    this.bitrateKbps = 0;
    this.setMuted(true);
    this.soundBtn.hidden = true;
    if (this.channel) this.setState('released', t('wall.state.released'));
  }

  /**
   * The gateway's view of this tile's stream (GET /api/streams, asked at `askedAt`): bitrate, or the failure that
   * ended it; a stream missing from a list asked after this tile got it was ended elsewhere (stopped, idle).
   */
  updateStream(s: StreamDto | undefined, askedAt: number): void {
    if (!this.streamId || askedAt < this.acquiredAt || this.state === 'failed') return;
    if (!s) return this.fail('', t('wall.streamGone'));
    if (s.streamId !== this.streamId) return;
    if (s.state === 'failed' && s.errorCode) return this.fail(s.errorCode, s.error);
    this.bitrateKbps = s.bitrateKbps;
    this.soundBtn.hidden = !s.audioCodec; // the camera's audio may show after play answered
    if (this.state === 'live') this.setState('live', this.liveText());
  }

  /** The channel's worst ROI level (frame colour and badge), or null when it is not watched. */
  setLevel(worst: { level: CongestionLevel; index: number } | null): void {
    for (const c of [...this.el.classList]) if (c.startsWith('lvl-')) this.el.classList.remove(c);
    if (!worst) {
      this.levelEl.replaceChildren();
      delete this.el.dataset.level;
      return;
    }
    this.el.classList.add(`lvl-${worst.level}`);
    this.el.dataset.level = worst.level;
    this.levelEl.replaceChildren(levelBadge(worst.level, worst.index));
  }

  /** The channel's ROIs whose queue is forming (onset warnings out now); empty hides the badge. */
  setForming(forming: readonly CongestionFormingDto[]): void {
    this.formingEl.hidden = forming.length === 0;
    this.formingEl.title = forming.length ? t('wall.tileForming', { rois: forming.map((f) => f.roi).join(', ') }) : '';
    this.el.dataset.forming = forming.map((f) => f.roi).join(' ');
    if (!forming.length) delete this.el.dataset.forming;
  }

  setRois(rois: Roi[]): void {
    this.rois = rois;
    this.drawRois();
  }

  /**
   * The detection boxes of the channel's last scored frame (null: not watched, which also hides the toggle). They
   * are drawn over the picture while the toggle is on.
   */
  setBoxes(boxes: SnapshotBox[] | null): void {
    this.boxesBtn.hidden = !boxes;
    this.boxes = boxes ?? [];
    if (this.showBoxes) this.drawRois();
  }

  get currentStreamId(): string | null {
    return this.streamId;
  }

  private async start(channel: WallChannel): Promise<void> {
    const gen = ++this.generation;
    this.nameEl.textContent = channel.name;
    this.nameEl.title = channel.channelId;
    this.setState('connecting', t('wall.state.connecting'));
    this.screen.replaceChildren(h('div', { class: 'wall-placeholder' }));
    let s: StreamDto;
    try {
      s = await api<StreamDto>('POST', `/api/devices/${encodeURIComponent(channel.deviceId)}/channels/${encodeURIComponent(channel.channelId)}/play`, playBody({ stream: 'sub' }, browserDecodesHevc()));
    } catch (e) {
      if (gen !== this.generation) return;
      if (e instanceof ApiError) return this.fail(e.code, e.message);
      return this.fail('', (e as Error).message);
    }
    this.leases.acquire(s.streamId);
    if (gen !== this.generation) return void this.leases.release(s.streamId);
    this.streamId = s.streamId;
    this.acquiredAt = Date.now();
    if (s.state === 'failed') return this.fail(s.errorCode ?? '', s.error);
    this.bitrateKbps = s.bitrateKbps;
    this.soundBtn.hidden = !s.audioCodec;
    this.attach(s, preferredTransport(), gen);
  }

  /**
   * WebRTC first (the player goes on with FLV by itself when WebRTC does not play within 2 s or is refused), or FLV;
   * on a player error or no picture in FLV_START_TIMEOUT_MS, HLS once.
   */
  private attach(s: StreamDto, mode: PlayMode, gen: number): void {
    this.player?.close();
    const p = new InlinePlayer(s, mode);
    this.player = p;
    this.showTransport(p.transport);
    p.onTransport = (tr) => {
      if (gen !== this.generation || this.player !== p) return;
      this.showTransport(tr);
      if (p.fallback) this.el.dataset.fallback = p.fallback; // why WebRTC was left (tests, debugging)
    };
    p.video.controls = false;
    p.video.muted = this.muted;
    p.video.addEventListener('loadedmetadata', () => {
      if (p.video.videoWidth && p.video.videoHeight) this.overlay.setAttribute('viewBox', `0 0 ${p.video.videoWidth} ${p.video.videoHeight}`);
      this.drawRois();
    });
    p.video.addEventListener('playing', () => {
      if (gen !== this.generation) return;
      window.clearTimeout(this.flvTimer);
      this.el.dataset.mode = p.transport;
      this.setState('live', this.liveText());
    });
    const fallback = () => {
      if (gen !== this.generation || this.player !== p || this.state === 'live') return;
      if (mode !== 'hls') return this.attach(s, 'hls', gen);
      this.fail('', p.status.textContent);
    };
    new MutationObserver(() => {
      if (p.status.classList.contains('error')) fallback();
    }).observe(p.status, { attributes: true, attributeFilter: ['class'] });
    window.clearTimeout(this.flvTimer);
    if (mode !== 'hls') this.flvTimer = window.setTimeout(fallback, FLV_START_TIMEOUT_MS);
    this.screen.replaceChildren(p.video);
  }

  /** The transport label (hidden without a player); `data-transport` on the tile for tests and styles. */
  private showTransport(tr: PlayTransport | null): void {
    this.transportEl.hidden = !tr;
    this.transportEl.textContent = tr ? transportLabel(tr) : '';
    if (tr) this.el.dataset.transport = tr;
    else delete this.el.dataset.transport;
    if (tr !== 'flv') delete this.el.dataset.fallback;
  }

  /** Mutes or unmutes this tile's video (the others keep theirs); unmuting is a click, so the browser lets it play. */
  private setMuted(muted: boolean): void {
    this.muted = muted;
    if (this.player) {
      this.player.video.muted = muted;
      if (!muted) void this.player.video.play().catch(() => undefined);
    }
    this.soundBtn.textContent = muted ? t('wall.tileUnmute') : t('wall.tileMute');
    this.soundBtn.setAttribute('aria-pressed', String(!muted));
    this.el.dataset.muted = String(muted);
  }

  private fail(code: string, cause: string | null): void {
    window.clearTimeout(this.flvTimer);
    this.player?.close();
    this.player = null;
    this.showTransport(null);
    // English shows the gateway's own words (addresses, figures); other languages the code's explanation.
    const explained = code ? explainCode(code) : null;
    const text = (getLocale() === 'en' ? cause : (explained ?? cause)) ?? '';
    this.setState('failed', t('wall.state.failed'));
    this.screen.replaceChildren(
      h('div', { class: 'wall-failure', role: 'alert', 'data-field': 'tile-failure' },
        code ? h('code', { 'data-field': 'tile-error-code' }, code) : null,
        h('span', { 'data-field': 'tile-error-cause' }, text)),
    );
  }

  private liveText(): string {
    return this.bitrateKbps > 0 ? t('wall.state.liveBitrate', { n: formatNumber(this.bitrateKbps) }) : t('wall.state.live');
  }

  private setState(state: TileState, text: string): void {
    this.state = state;
    this.el.dataset.state = state;
    this.stateEl.textContent = text;
  }

  private renderEmpty(): void {
    this.state = 'empty';
    this.el.dataset.state = 'empty';
    this.nameEl.textContent = '';
    this.stateEl.textContent = '';
    this.screen.replaceChildren(h('div', { class: 'wall-placeholder' }, h('span', { class: 'muted' }, t('wall.emptyTile'))));
  }

  /** ROI polygons, then (toggle on) the detection boxes, in the video's pixel space (the overlay's viewBox). */
  private drawRois(): void {
    const [, , w = 16, hgt = 9] = (this.overlay.getAttribute('viewBox') ?? '').split(' ').map(Number);
    const boxes = this.showBoxes ? this.boxes : [];
    this.overlay.replaceChildren(
      ...this.rois.map((r) =>
        svg('polygon', { class: 'wall-roi', 'data-roi': r.id, points: r.polygon.map((p) => `${p[0] * w},${p[1] * hgt}`).join(' ') }),
      ),
      ...boxes.map((b) => {
        const kind = boxKind(b.label);
        const score = Math.round(b.score * 100);
        // A box the worker left out (fixture, OSD, exclusion zone) is drawn greyed: dashed grey outline, no fill.
        const look: Record<string, string> = b.ignored ? { stroke: IGNORED_BOX_COLOUR, 'stroke-dasharray': '4 3', 'data-ignored': b.ignored } : { stroke: BOX_COLOURS[kind] };
        return svg('rect', {
          class: 'wall-box', 'data-kind': kind, 'data-label': b.label, x: b.x1 * w, y: b.y1 * hgt, width: (b.x2 - b.x1) * w, height: (b.y2 - b.y1) * hgt,
          fill: 'none', ...look, 'stroke-width': 1.5, 'vector-effect': 'non-scaling-stroke',
        }, svg('title', {}, b.ignored ? t('boxes.ignored', { label: b.label, score, reason: t(`boxes.reason.${b.ignored}`) }) : `${b.label} ${score}%`));
      }),
    );
  }
}
