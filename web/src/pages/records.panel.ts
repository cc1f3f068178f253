import type { ChannelDto, GatewayEvent } from '@gb/contracts';
import { api, apiBlob, messageOf } from '../api';
import type { AppContext } from '../app-context';
import type { DownloadDto, RecordDto, RecordListDto, StreamDto } from '../api-types';
import { h, toast } from '../dom';
import { bytes, duration, localTime, toDatetimeLocal } from '../format';
import { InlinePlayer } from '../player';
import { hasKey, t } from '../i18n';
import { mountTimeline } from '../timeline/timeline.panel';
import { mountPlatformRecordings } from '../recording/platform-recordings';
import { mountRecordPlanEditor } from '../recording/record-plan-editor';
import { can } from '../session-role';

/** A RecordInfo Type (time, alarm, manual, all) in words; another value as the device sent it. */
function recordType(type: string | null | undefined): string {
  const key = `recordType.${type ?? ''}`;
  return hasKey(key) ? t(key) : (type ?? '');
}

/** Recordings of one channel: date range -> RecordInfo list -> play back (s=Playback) or download (s=Download, MP4). */
export function mountRecordsPanel(card: HTMLElement, ctx: AppContext, deviceId: string, c: ChannelDto, label: string, close: () => void): () => void {
  const now = Date.now();
  const from = h('input', { type: 'datetime-local', value: toDatetimeLocal(now - 86_400_000), 'data-field': 'records-from' });
  const to = h('input', { type: 'datetime-local', value: toDatetimeLocal(now), 'data-field': 'records-to' });
  const speed = h('select', { title: t('records.speedTitle'), 'data-field': 'records-speed' }, [1, 2, 4, 8].map((s) => h('option', { value: s, selected: s === 4 }, `${s}×`)));
  const list = h('div', { class: 'records' });
  const downloadsEl = h('div', { class: 'downloads' });
  const playerBox = h('div');
  const downloads = new Map<string, DownloadDto>();
  let player: InlinePlayer | null = null;
  const blobUrls: string[] = [];

  const unix = (input: HTMLInputElement) => Math.floor(new Date(input.value).getTime() / 1000);

  const search = async () => {
    const start = unix(from);
    const end = unix(to);
    if (!Number.isFinite(start) || !Number.isFinite(end)) return void (list.textContent = t('records.pickRange'));
    list.replaceChildren(h('p', { class: 'muted' }, t('records.asking')));
    try {
      const r = await api<RecordListDto>('GET', `/api/devices/${deviceId}/channels/${c.channelId}/records?start=${start}&end=${end}`);
      renderList(r);
    } catch (e) {
      list.replaceChildren(h('p', { class: 'error' }, messageOf(e)));
    }
  };

  const renderList = (r: RecordListDto) => {
    const note = [t('records.count', { n: r.records.length }), r.complete ? '' : t('records.incomplete'), r.dropped ? t('records.dropped', { n: r.dropped }) : ''];
    list.replaceChildren(
      h('p', { class: 'muted', 'data-field': 'records-count' }, ...note.filter(Boolean)),
      r.records.length
        ? h('table', { class: 'grid' },
            h('thead', {}, h('tr', {}, [t('records.colStart'), t('records.colEnd'), t('records.colLength'), t('records.colType'), t('records.colSize'), ''].map((c) => h('th', {}, c)))),
            h('tbody', {}, r.records.map((rec) =>
              h('tr', {},
                h('td', {}, localTime(rec.startTime)),
                h('td', {}, localTime(rec.endTime)),
                h('td', { class: 'num' }, duration(rec.end - rec.start)),
                h('td', {}, recordType(rec.type)),
                h('td', { class: 'num' }, bytes(rec.fileSize)),
                h('td', { class: 'actions' }, h('button', { onclick: () => void playback(rec) }, t('common.play')), h('button', { onclick: () => void download(rec) }, t('records.download'))),
              ),
            )),
          )
        : '',
    );
  };

  const playback = async (rec: RecordDto) => {
    player?.close();
    player = null;
    const status = h('div', { class: 'player-status' }, t('records.playbackAsking'));
    playerBox.replaceChildren(status);
    try {
      const s = await api<StreamDto>('POST', `/api/devices/${deviceId}/channels/${c.channelId}/playback`, { start: rec.start, end: rec.end });
      player = new InlinePlayer(s, 'hls');
      playerBox.replaceChildren(h('h3', {}, t('records.playbackTitle', { from: localTime(rec.startTime), to: localTime(rec.endTime) })), player.video, player.status);
    } catch (e) {
      status.textContent = messageOf(e);
      status.classList.add('error');
    }
  };

  const download = async (rec: { start: number; end: number }) => {
    try {
      const d = await api<DownloadDto>('POST', `/api/devices/${deviceId}/channels/${c.channelId}/downloads`, { start: rec.start, end: rec.end, speed: Number(speed.value) });
      downloads.set(d.id, d);
      renderDownloads();
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  };

  const save = async (d: DownloadDto) => {
    try {
      const blob = await apiBlob(d.url);
      const url = URL.createObjectURL(blob);
      blobUrls.push(url);
      const a = h('a', { href: url, download: `${d.channelId}_${d.start}-${d.end}.mp4` });
      document.body.append(a);
      a.click();
      a.remove();
    } catch (e) {
      toast(messageOf(e), 'error');
    }
  };

  const renderDownloads = () => {
    downloadsEl.replaceChildren(
      ...[...downloads.values()].map((d) =>
        h('div', { class: 'download', 'data-download-id': d.id },
          h('span', {}, `${localTime(d.start * 1000)} – ${localTime(d.end * 1000)}`),
          h('div', { class: 'progress', title: `${Math.round(d.progress * 100)} %` }, h('div', { style: `width:${Math.round(d.progress * 100)}%` })),
          h('span', { class: d.state === 'failed' ? 'error' : 'muted' }, d.state === 'failed' ? d.error ?? t('download.failed') : t('records.progress', { state: t(`download.${d.state}`), pct: Math.round(d.progress * 100), size: bytes(d.bytes) })),
          d.state === 'done' ? h('button', { class: 'primary', onclick: () => void save(d) }, t('records.saveMp4')) : null,
        ),
      ),
    );
  };

  const onEvent = (e: GatewayEvent) => {
    if (e.type !== 'download.progress') return;
    const d = downloads.get(e.data.id);
    if (!d) return;
    downloads.set(d.id, { ...d, ...e.data });
    renderDownloads();
  };

  const timeline = mountTimeline({ deviceId, channelId: c.channelId, download: (r) => void download({ start: r.from, end: r.to }) });
  // Source: the device's own recordings (RecordInfo, s=Playback) or the platform's (record plans, RECORD_DIR).
  const deviceBox = h('div', { 'data-field': 'records-device' },
    timeline.el,
    h('form', { class: 'row', onsubmit: (e: Event) => (e.preventDefault(), void search()) }, h('label', {}, t('records.from'), ' ', from), h('label', {}, t('records.to'), ' ', to), h('label', {}, t('records.speed'), ' ', speed), h('button', { type: 'submit', class: 'primary' }, t('records.search'))),
    list,
    downloadsEl,
    playerBox,
  );
  let platform: { el: HTMLElement; close(): void } | null = null;
  const platformBox = h('div', { 'data-field': 'records-platform', hidden: true });
  const source = h('select', { 'data-field': 'records-source' }, h('option', { value: 'device' }, t('records.sourceDevice')), h('option', { value: 'platform' }, t('records.sourcePlatform')));
  source.onchange = () => {
    const onPlatform = source.value === 'platform';
    deviceBox.hidden = onPlatform;
    platformBox.hidden = !onPlatform;
    if (onPlatform && !platform) {
      platform = mountPlatformRecordings(c.channelId);
      platformBox.replaceChildren(mountRecordPlanEditor(c.channelId, deviceId, can('admin')), platform.el);
    }
  };
  card.append(
    h('div', { class: 'toolbar' }, h('h2', {}, t('records.title', { name: label })), h('label', {}, t('records.source'), ' ', source), h('span', { class: 'grow' }), h('button', { onclick: close }, t('common.close'))),
    deviceBox,
    platformBox,
  );
  const off = ctx.events.on(onEvent);
  return () => {
    off();
    platform?.close();
    timeline.close();
    player?.close();
    for (const u of blobUrls) URL.revokeObjectURL(u);
  };
}
