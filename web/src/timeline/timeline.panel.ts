import { api, messageOf } from '../api';
import type { RecordListDto, StreamDto } from '../api-types';
import { h } from '../dom';
import { InlinePlayer } from '../player';
import { getLocale, t } from '../i18n';
import { TimelineBar, type TimelineSegment } from './timeline-bar';
import { ZOOM_STEP, dayBounds, localDay, type TimeWindow } from './timeline-scale';

/** Speeds offered for playback (MANSRTSP Scale). */
export const TIMELINE_SPEEDS = [0.5, 1, 2, 4, 8] as const;
/** How often the playhead follows the video. */
const PLAYHEAD_TICK_MS = 250;

export interface TimelineOptions {
  deviceId: string;
  channelId: string;
  /** Download a selected range (the records panel's downloads list shows its progress and the file). */
  download(range: TimeWindow): void;
}

interface Playing {
  stream: StreamDto;
  player: InlinePlayer;
  start: number;
  end: number;
  speed: number;
  paused: boolean;
  /** The recording time shown at video time `anchorVideo` (null until the video plays). */
  anchorTime: number;
  anchorVideo: number | null;
}

const iso = (s: number) => new Date(s * 1000).toISOString();
const clock = (s: number) => new Date(s * 1000).toLocaleTimeString(getLocale(), { hour12: false });

/**
 * The playback timeline of one channel: a day picker, the day's recordings (RecordInfo) on a zoomable bar, click to
 * play from a time (to the end of that recording, or of the day), drag the playhead to seek, speed and pause
 * (MANSRTSP over POST /api/streams/:id/control), shift-drag a range to download it.
 */
export function mountTimeline(o: TimelineOptions): { el: HTMLElement; close(): void } {
  const base = `/api/devices/${o.deviceId}/channels/${o.channelId}`;
  const dayInput = h('input', { type: 'date', value: localDay(Date.now()), 'data-field': 'timeline-day' });
  const note = h('span', { class: 'muted', 'data-field': 'timeline-note' });
  const barBox = h('div', { class: 'timeline' });
  const speed = h('select', { 'data-field': 'timeline-speed', title: t('timeline.speedTitle'), disabled: true }, TIMELINE_SPEEDS.map((s) => h('option', { value: s, selected: s === 1 }, `${s}×`)));
  const pauseBtn = h('button', { 'data-action': 'timeline-pause', disabled: true }, t('timeline.pause'));
  const position = h('span', { class: 'muted num', 'data-field': 'timeline-time' });
  const selText = h('span', { class: 'muted', 'data-field': 'timeline-selection-text' }, t('timeline.selectHint'));
  const dlBtn = h('button', { 'data-action': 'timeline-download', disabled: true }, t('timeline.downloadSelection'));
  const clearBtn = h('button', { 'data-action': 'timeline-clear', disabled: true }, t('timeline.clearSelection'));
  const playerBox = h('div', { class: 'timeline-player' });
  let bar: TimelineBar | null = null;
  let day: TimeWindow | null = null;
  let segments: TimelineSegment[] = [];
  let selection: TimeWindow | null = null;
  let playing: Playing | null = null;
  let loadSeq = 0;

  const stopPlayback = () => {
    playing?.player.close();
    playing = null;
    bar?.setPlayhead(null);
    speed.disabled = pauseBtn.disabled = true;
    position.textContent = '';
  };

  const current = (p: Playing): number => (p.anchorVideo === null ? p.anchorTime : p.anchorTime + (p.player.video.currentTime - p.anchorVideo) * p.speed);

  /** Re-anchors the playhead at `time` from the video's present position (after a seek or a speed change). */
  const reanchor = (p: Playing, time: number) => {
    p.anchorTime = time;
    p.anchorVideo = p.anchorVideo === null ? null : p.player.video.currentTime;
  };

  const say = (text: string, error = false) => {
    const s = h('div', { class: error ? 'player-status error' : 'player-status' }, text);
    playerBox.replaceChildren(s);
  };

  const play = async (time: number) => {
    if (!day) return;
    const seg = segments.find((s) => time >= s.start && time < s.end);
    const end = seg ? seg.end : day.to;
    if (!(end > time)) return;
    stopPlayback();
    say(t('records.playbackAsking'));
    bar?.setPlayhead(time);
    try {
      const stream = await api<StreamDto>('POST', `${base}/playback`, { start: iso(time), end: iso(end) });
      const player = new InlinePlayer(stream, 'hls');
      const p: Playing = { stream, player, start: time, end, speed: 1, paused: false, anchorTime: time, anchorVideo: null };
      playing = p;
      player.video.addEventListener('playing', () => {
        if (p.anchorVideo === null) p.anchorVideo = player.video.currentTime;
      });
      speed.value = '1';
      speed.disabled = pauseBtn.disabled = false;
      pauseBtn.textContent = t('timeline.pause');
      playerBox.replaceChildren(h('h3', { 'data-field': 'timeline-playing', 'data-start': time, 'data-end': end }, t('records.playbackTitle', { from: clock(time), to: clock(end) })), player.video, player.status);
    } catch (e) {
      bar?.setPlayhead(null);
      say(messageOf(e), true);
    }
  };

  const control = async (body: Record<string, unknown>): Promise<boolean> => {
    if (!playing) return false;
    try {
      await api('POST', `/api/streams/${playing.stream.streamId}/control`, body);
      return true;
    } catch (e) {
      playing.player.status.textContent = messageOf(e);
      playing.player.status.classList.add('error');
      return false;
    }
  };

  /** Playhead dragged: seek inside the running playback (position from its start), else start one there. */
  const scrub = async (time: number) => {
    const p = playing;
    if (!p || time < p.start || time >= p.end) return void play(time);
    if (await control({ action: 'seek', position: time - p.start })) {
      reanchor(p, time);
      p.paused = false;
      pauseBtn.textContent = t('timeline.pause');
      void p.player.video.play().catch(() => undefined);
    }
  };

  const select = (range: TimeWindow | null) => {
    selection = range;
    dlBtn.disabled = clearBtn.disabled = !range;
    selText.textContent = range ? t('timeline.selection', { from: clock(range.from), to: clock(range.to) }) : t('timeline.selectHint');
  };

  const load = async () => {
    const seq = ++loadSeq;
    const d = dayBounds(dayInput.value);
    stopPlayback();
    bar?.close();
    bar = null;
    select(null);
    if (!d) return void barBox.replaceChildren();
    day = d;
    segments = [];
    const b = new TimelineBar(d, { pick: (t) => void play(t), scrub: (t) => void scrub(t), select });
    bar = b;
    barBox.replaceChildren(b.el);
    b.render();
    note.textContent = t('records.asking');
    try {
      const r = await api<RecordListDto>('GET', `${base}/records?start=${d.from}&end=${d.to}`);
      if (seq !== loadSeq) return;
      segments = r.records.map((x) => ({ start: x.start, end: x.end })).filter((x) => x.end > x.start);
      b.setSegments(segments);
      note.textContent = [t('records.count', { n: segments.length }), r.complete ? '' : t('records.incomplete')].join('');
    } catch (e) {
      if (seq === loadSeq) note.textContent = messageOf(e);
    }
  };

  pauseBtn.addEventListener('click', () => {
    const p = playing;
    if (!p) return;
    void (async () => {
      const now = current(p);
      if (!(await control({ action: p.paused ? 'resume' : 'pause' }))) return;
      p.paused = !p.paused;
      reanchor(p, now);
      if (p.paused) p.player.video.pause();
      else void p.player.video.play().catch(() => undefined);
      pauseBtn.textContent = p.paused ? t('timeline.resume') : t('timeline.pause');
    })();
  });
  speed.addEventListener('change', () => {
    const p = playing;
    if (!p) return;
    const scale = Number(speed.value);
    const now = current(p);
    void control({ action: 'speed', scale }).then((ok) => {
      if (!ok) return void (speed.value = String(p.speed));
      reanchor(p, now);
      p.speed = scale;
    });
  });
  dlBtn.addEventListener('click', () => selection && o.download(selection));
  clearBtn.addEventListener('click', () => (select(null), bar?.setSelection(null)));
  dayInput.addEventListener('change', () => void load());

  const ticker = window.setInterval(() => {
    const p = playing;
    if (!p || p.paused || p.anchorVideo === null) return;
    const now = Math.min(current(p), p.end);
    bar?.setPlayhead(now);
    position.textContent = clock(now);
  }, PLAYHEAD_TICK_MS);

  const el = h('section', { class: 'timeline-panel', 'data-field': 'timeline' },
    h('div', { class: 'row' },
      h('label', {}, t('timeline.day'), ' ', dayInput),
      h('button', { 'data-action': 'timeline-zoom-in', title: t('timeline.zoomIn'), onclick: () => bar?.zoom(1 / ZOOM_STEP) }, '+'),
      h('button', { 'data-action': 'timeline-zoom-out', title: t('timeline.zoomOut'), onclick: () => bar?.zoom(ZOOM_STEP) }, '−'),
      h('button', { 'data-action': 'timeline-whole-day', onclick: () => bar?.reset() }, t('timeline.wholeDay')),
      note,
    ),
    barBox,
    h('div', { class: 'row' }, pauseBtn, h('label', {}, t('timeline.speed'), ' ', speed), position, h('span', { class: 'grow' }), selText, dlBtn, clearBtn),
    playerBox,
  );
  void load();
  return {
    el,
    close: () => {
      window.clearInterval(ticker);
      loadSeq++;
      stopPlayback();
      bar?.close();
    },
  };
}
