import type { RecordingsDto } from '@gb/contracts';
import { api, messageOf } from '../api';
import { h, toast } from '../dom';
import { getLocale, t } from '../i18n';
import { TimelineBar, type TimelineSegment } from '../timeline/timeline-bar';
import { dayBounds, localDay, type TimeWindow } from '../timeline/timeline-scale';

/** Playback speeds offered for the platform's recordings (HTMLMediaElement.playbackRate). */
export const PLATFORM_SPEEDS = [0.5, 1, 2, 4, 8] as const;
const PLAYHEAD_TICK_MS = 250;

interface HlsLike {
  loadSource(url: string): void;
  attachMedia(v: HTMLMediaElement): void;
  on(event: string, fn: (event: string, data: { fatal?: boolean; details?: string }) => void): void;
  destroy(): void;
}
type HlsCtor = { new (config: Record<string, unknown>): HlsLike; isSupported(): boolean; Events: { ERROR: string; MANIFEST_PARSED: string } };

let hlsScript: Promise<void> | null = null;
/** hls.js from the gateway's /vendor/ (the same file the live player loads). */
function loadHls(): Promise<HlsCtor | undefined> {
  hlsScript ??= new Promise<void>((resolve, reject) => {
    const s = h('script', { src: '/vendor/hls.min.js' });
    s.onload = () => resolve();
    s.onerror = () => ((hlsScript = null), reject(new Error(t('player.loadFailed', { src: '/vendor/hls.min.js' }))));
    document.head.append(s);
  });
  return hlsScript.then(() => (window as unknown as { Hls?: HlsCtor }).Hls);
}

const clock = (s: number) => new Date(s * 1000).toLocaleTimeString(getLocale(), { hour12: false });

/**
 * The platform's own recordings of a channel (record plans, RECORD_DIR): a day on the timeline bar, click to play from
 * that time (hls.js over the gateway's VOD playlist: seek by clicking again or dragging the playhead, speed with
 * playbackRate), shift-drag a range and download it as MP4.
 */
export function mountPlatformRecordings(channelId: string): { el: HTMLElement; close(): void } {
  const dayInput = h('input', { type: 'date', value: localDay(Date.now()), 'data-field': 'platform-day' });
  const note = h('span', { class: 'muted', 'data-field': 'platform-note' });
  const barBox = h('div', { class: 'timeline' });
  const speed = h('select', { 'data-field': 'platform-speed', title: t('platform.speedTitle') }, PLATFORM_SPEEDS.map((s) => h('option', { value: s, selected: s === 1 }, `${s}×`)));
  const position = h('span', { class: 'muted num', 'data-field': 'platform-time' });
  const selText = h('span', { class: 'muted', 'data-field': 'platform-selection' }, t('platform.selectHint'));
  const dlLink = h('a', { class: 'button', 'data-action': 'platform-download', hidden: true }, t('platform.download'));
  const video = h('video', { class: 'video', controls: true, muted: true, playsInline: true, 'data-field': 'platform-video' });
  const status = h('div', { class: 'player-status', 'data-field': 'platform-status' });
  let bar: TimelineBar | null = null;
  let day: TimeWindow | null = null;
  let list: RecordingsDto | null = null;
  let hls: HlsLike | null = null;
  /** Wall-clock second of video time 0 in the loaded playlist (the first segment's start). */
  let origin: number | null = null;
  let loadSeq = 0;

  const segmentsOf = (l: RecordingsDto): TimelineSegment[] => l.ranges.map((r) => ({ start: Date.parse(r.start) / 1000, end: Date.parse(r.end) / 1000 }));

  /** Video time of a wall-clock second, through the finished segments (gaps between them are skipped in the playlist). */
  const videoTimeOf = (time: number): number | null => {
    if (!list) return null;
    let acc = 0;
    for (const s of list.segments) {
      if (s.end === null) continue;
      const a = Date.parse(s.start) / 1000;
      const b = Date.parse(s.end) / 1000;
      if (time < a) return acc;
      if (time < b) return acc + (time - a);
      acc += b - a;
    }
    return null;
  };
  const timeOfVideo = (v: number): number | null => {
    if (!list) return null;
    let acc = 0;
    for (const s of list.segments) {
      if (s.end === null) continue;
      const a = Date.parse(s.start) / 1000;
      const len = Date.parse(s.end) / 1000 - a;
      if (v < acc + len) return a + (v - acc);
      acc += len;
    }
    return null;
  };

  const load = async () => {
    const seq = ++loadSeq;
    day = dayBounds(dayInput.value);
    if (!day) return;
    note.textContent = t('platform.loading');
    try {
      const l = await api<RecordingsDto>('GET', `/api/channels/${channelId}/recordings?from=${day.from}&to=${day.to}`);
      if (seq !== loadSeq) return;
      list = l;
      note.textContent = l.segments.length ? t('platform.count', { n: l.segments.length }) : t('platform.none');
      bar?.close();
      bar = new TimelineBar(day, {
        pick: (time) => void play(time),
        scrub: (time) => seek(time),
        select: (r) => select(r),
      });
      bar.setSegments(segmentsOf(l));
      barBox.replaceChildren(bar.el);
    } catch (e) {
      note.textContent = messageOf(e);
    }
  };

  const play = async (time: number) => {
    if (!list || !day) return;
    if (hls && origin !== null) return seek(time);
    status.textContent = t('platform.opening');
    try {
      const Hls = await loadHls();
      if (!Hls?.isSupported()) throw new Error(t('player.noHls'));
      hls?.destroy();
      hls = new Hls({});
      hls.on(Hls.Events.ERROR, (_e, d) => {
        if (d.fatal) status.textContent = t('player.hlsError', { type: 'vod', details: d.details ?? '' });
      });
      hls.on(Hls.Events.MANIFEST_PARSED, () => seek(time));
      origin = list.segments[0] ? Date.parse(list.segments[0].start) / 1000 : null;
      hls.loadSource(list.urls.hls);
      hls.attachMedia(video);
      video.playbackRate = Number(speed.value);
      void video.play().catch(() => undefined);
      status.textContent = '';
    } catch (e) {
      status.textContent = messageOf(e);
    }
  };

  const seek = (time: number) => {
    const v = videoTimeOf(time);
    if (v === null) return toast(t('platform.noRecordingThere'));
    video.currentTime = v;
    void video.play().catch(() => undefined);
  };

  const select = (r: TimeWindow | null) => {
    bar?.setSelection(r);
    if (!r || !list) {
      dlLink.hidden = true;
      selText.textContent = t('platform.selectHint');
      return;
    }
    selText.textContent = t('timeline.selection', { from: clock(r.from), to: clock(r.to) });
    // The signed URL of the day's list, narrowed to the selection (the token covers the channel, not the range).
    const u = new URL(list.urls.download, location.href);
    u.searchParams.set('from', String(r.from));
    u.searchParams.set('to', String(r.to));
    dlLink.href = u.toString();
    dlLink.setAttribute('download', '');
    dlLink.hidden = false;
  };

  speed.onchange = () => (video.playbackRate = Number(speed.value));
  dayInput.onchange = () => void load();
  const tick = setInterval(() => {
    if (!hls || video.paused) return;
    const at = timeOfVideo(video.currentTime);
    bar?.setPlayhead(at);
    position.textContent = at === null ? '' : clock(at);
  }, PLAYHEAD_TICK_MS);

  const el = h('div', { class: 'platform-recordings', 'data-field': 'platform-recordings' },
    h('div', { class: 'row' }, h('label', {}, t('timeline.day'), ' ', dayInput), note),
    barBox,
    h('div', { class: 'row' }, h('label', {}, t('timeline.speed'), ' ', speed), position, selText, dlLink),
    video,
    status,
  );
  void load();
  return {
    el,
    close: () => {
      clearInterval(tick);
      hls?.destroy();
      bar?.close();
    },
  };
}
