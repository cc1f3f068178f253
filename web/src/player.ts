import { h } from './dom';
import type { StreamDto } from './api-types';
import { t } from './i18n';
import type { PlayMode, PlayTransport } from './player-codec';
import { webrtcStartMs, WhepClient, WhepError, type WebRtcVideo } from './whep-client';

export { preferredTransport, TRANSPORT_KEY, type PlayMode, type PlayTransport } from './player-codec';

/** Minimal shapes of the two player libraries the gateway serves at /vendor/ (loaded on demand, not bundled). */
interface HlsInstance {
  loadSource(url: string): void;
  attachMedia(v: HTMLMediaElement): void;
  on(event: string, fn: (event: string, data: { fatal?: boolean; type?: string; details?: string }) => void): void;
  destroy(): void;
}
interface HlsStatic {
  new (config: Record<string, unknown>): HlsInstance;
  isSupported(): boolean;
  Events: { ERROR: string };
}
interface MpegtsPlayer {
  attachMediaElement(v: HTMLMediaElement): void;
  load(): void;
  play(): Promise<void> | void;
  on(event: string, fn: (...args: unknown[]) => void): void;
  destroy(): void;
}
interface MpegtsStatic {
  isSupported(): boolean;
  createPlayer(source: Record<string, unknown>, config: Record<string, unknown>): MpegtsPlayer;
  Events: { ERROR: string };
}
declare global {
  interface Window {
    Hls?: HlsStatic;
    mpegts?: MpegtsStatic;
  }
}

const loaded = new Map<string, Promise<void>>();
function loadScript(src: string): Promise<void> {
  let p = loaded.get(src);
  if (!p) {
    p = new Promise<void>((resolve, reject) => {
      const s = h('script', { src });
      s.onload = () => resolve();
      s.onerror = () => {
        loaded.delete(src);
        reject(new Error(t('player.loadFailed', { src })));
      };
      document.head.append(s);
    });
    loaded.set(src, p);
  }
  return p;
}

/** The first segment of a live stream appears a few seconds after play: poll the playlist until it lists one. */
async function waitForPlaylist(url: string, signal: AbortSignal, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (!signal.aborted) {
    try {
      const r = await fetch(url, { signal, cache: 'no-store' });
      const text = await r.text();
      if (r.ok && text.includes('#EXTINF')) return;
      if (r.status === 401 || r.status === 403) throw new Error(t('player.tokenRefused'));
      try {
        last = (JSON.parse(text) as { message?: string }).message ?? `HTTP ${r.status}`;
      } catch {
        last = `HTTP ${r.status}`;
      }
    } catch (e) {
      if (signal.aborted) break;
      if ((e as Error).message === t('player.tokenRefused')) throw e;
    }
    if (Date.now() > until) throw new Error(t('player.noSegment', { s: timeoutMs / 1000, last }));
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new DOMException('stopped', 'AbortError');
}

const LABEL: Record<PlayTransport, string> = { webrtc: 'WebRTC', flv: 'FLV', hls: 'HLS' };
export const transportLabel = (tr: PlayTransport): string => LABEL[tr];

/**
 * An inline player for one stream: a <video> element fed by WebRTC (WHEP, whep-client.ts), hls.js (HLS) or mpegts.js
 * (HTTP-FLV), the last two from /vendor/. Mode 'webrtc' tries WHEP first and goes on with FLV when it does not play
 * within WEBRTC_START_MS (webrtcStartMs), is refused (503 WEBRTC_LIMIT, an H.265 stream) or drops later; `transport` says what plays
 * (also `data-transport` on the status line), `fallback` why WebRTC was left. `close()` releases the player and the
 * video element; it is safe to call twice.
 */
export class InlinePlayer {
  readonly video: WebRtcVideo = h('video', { muted: true, autoplay: true, playsinline: true, controls: true, class: 'video' });
  readonly status = h('div', { class: 'player-status', 'data-field': 'player-status' }, t('player.starting'));
  /** Called when the transport changes (WebRTC -> FLV). */
  onTransport: ((tr: PlayTransport) => void) | null = null;
  fallback: string | null = null;
  private hls: HlsInstance | null = null;
  private flv: MpegtsPlayer | null = null;
  private whep: WhepClient | null = null;
  private transportValue: PlayTransport;
  private readonly abort = new AbortController();

  constructor(
    private readonly stream: StreamDto,
    readonly mode: PlayMode,
  ) {
    this.video.muted = true;
    this.transportValue = mode === 'webrtc' && !stream.urls.webrtc ? 'flv' : mode;
    this.status.dataset.transport = this.transportValue;
    this.video.addEventListener('playing', () => this.say(t('player.playing', { mode: LABEL[this.transportValue], info: this.describe() })));
    this.video.addEventListener('waiting', () => this.say(t('player.buffering')));
    void this.start().catch((e: Error) => {
      if (e.name !== 'AbortError') this.say(t('player.error', { mode: LABEL[this.transportValue], message: e.message }), true);
    });
  }

  get transport(): PlayTransport {
    return this.transportValue;
  }

  private setTransport(tr: PlayTransport): void {
    if (tr === this.transportValue) return;
    this.transportValue = tr;
    this.status.dataset.transport = tr;
    this.onTransport?.(tr);
  }

  private describe(): string {
    const s = this.stream;
    const parts = [s.rendition ? t('player.transcoded', { from: s.rendition.sourceCodec.toUpperCase() }) : s.codec, s.width && s.height ? `${s.width}×${s.height}` : null].filter(Boolean);
    return parts.length ? ` · ${parts.join(' · ')}` : '';
  }

  private say(text: string, error = false): void {
    this.status.textContent = text;
    this.status.classList.toggle('error', error);
  }

  private async start(): Promise<void> {
    const { urls } = this.stream;
    if (this.transportValue === 'webrtc' && urls.webrtc) {
      this.say(t('player.connectingWebrtc'));
      const w = new WhepClient(urls.webrtc, this.video);
      this.whep = w;
      try {
        await w.start(webrtcStartMs(), this.abort.signal);
        w.onFailed = (why) => void this.toFlv(why);
        return;
      } catch (e) {
        if (this.abort.signal.aborted) throw new DOMException('stopped', 'AbortError');
        this.whep = null;
        this.fallback = e instanceof WhepError ? e.message : String((e as Error).message ?? e);
        this.status.dataset.fallback = this.fallback;
        this.setTransport('flv');
      }
    }
    return this.startMse();
  }

  /** WebRTC dropped after it played: FLV from here on. */
  private async toFlv(why: string): Promise<void> {
    if (this.abort.signal.aborted) return;
    this.whep?.close();
    this.whep = null;
    this.fallback = why;
    this.status.dataset.fallback = why;
    this.setTransport('flv');
    await this.startMse().catch((e: Error) => {
      if (e.name !== 'AbortError') this.say(t('player.error', { mode: 'FLV', message: e.message }), true);
    });
  }

  private async startMse(): Promise<void> {
    const { urls } = this.stream;
    if (this.transportValue === 'hls') {
      await loadScript('/vendor/hls.min.js');
      const Hls = window.Hls;
      this.say(t('player.waitingSegment'));
      await waitForPlaylist(urls.hls, this.abort.signal);
      if (Hls?.isSupported()) {
        const hls = new Hls({ lowLatencyMode: true, liveSyncDurationCount: 2 });
        this.hls = hls;
        hls.on(Hls.Events.ERROR, (_e, d) => {
          if (d.fatal) this.say(t('player.hlsError', { type: d.type ?? '', details: d.details ?? '' }), true);
        });
        hls.loadSource(urls.hls);
        hls.attachMedia(this.video);
      } else if (this.video.canPlayType('application/vnd.apple.mpegurl')) {
        this.video.src = urls.hls;
      } else {
        throw new Error(t('player.noHls'));
      }
    } else {
      await loadScript('/vendor/mpegts.js');
      const mpegts = window.mpegts;
      if (!mpegts?.isSupported()) throw new Error(t('player.noFlv'));
      if (this.abort.signal.aborted) return;
      const p = mpegts.createPlayer({ type: 'flv', isLive: true, url: new URL(urls.flv, location.href).toString() }, { enableStashBuffer: false, liveBufferLatencyChasing: true });
      this.flv = p;
      p.on(mpegts.Events.ERROR, (type, detail) => this.say(t('player.flvError', { type: String(type), detail: String(detail) }), true));
      p.attachMediaElement(this.video);
      p.load();
      void Promise.resolve(p.play()).catch(() => undefined);
    }
    this.say(t('player.loading', { mode: LABEL[this.transportValue] }));
    void this.video.play().catch(() => undefined);
  }

  close(): void {
    this.abort.abort();
    this.whep?.close();
    this.whep = null;
    this.hls?.destroy();
    this.flv?.destroy();
    this.hls = this.flv = null;
    this.video.removeAttribute('src');
    this.video.load();
  }
}
