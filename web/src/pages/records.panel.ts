import type { ChannelDto, GatewayEvent } from '@gb/contracts';
import { api, apiBlob, messageOf } from '../api';
import type { AppContext } from '../app-context';
import type { DownloadDto, RecordDto, RecordListDto, StreamDto } from '../api-types';
import { h, toast } from '../dom';
import { bytes, duration, localTime, toDatetimeLocal } from '../format';
import { InlinePlayer } from '../player';

/** Recordings of one channel: date range -> RecordInfo list -> play back (s=Playback) or download (s=Download, MP4). */
export function mountRecordsPanel(card: HTMLElement, ctx: AppContext, deviceId: string, c: ChannelDto, label: string, close: () => void): () => void {
  const now = Date.now();
  const from = h('input', { type: 'datetime-local', value: toDatetimeLocal(now - 86_400_000), 'data-field': 'records-from' });
  const to = h('input', { type: 'datetime-local', value: toDatetimeLocal(now), 'data-field': 'records-to' });
  const speed = h('select', { title: 'Download speed asked of the device' }, [1, 2, 4, 8].map((s) => h('option', { value: s, selected: s === 4 }, `${s}×`)));
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
    if (!Number.isFinite(start) || !Number.isFinite(end)) return void (list.textContent = 'Pick a start and an end.');
    list.replaceChildren(h('p', { class: 'muted' }, 'asking the device (RecordInfo)…'));
    try {
      const r = await api<RecordListDto>('GET', `/api/devices/${deviceId}/channels/${c.channelId}/records?start=${start}&end=${end}`);
      renderList(r);
    } catch (e) {
      list.replaceChildren(h('p', { class: 'error' }, messageOf(e)));
    }
  };

  const renderList = (r: RecordListDto) => {
    const note = `${r.records.length} recording${r.records.length === 1 ? '' : 's'}${r.complete ? '' : ' (incomplete: some packets did not arrive)'}${r.dropped ? `, ${r.dropped} unreadable left out` : ''}`;
    list.replaceChildren(
      h('p', { class: 'muted', 'data-field': 'records-count' }, note),
      r.records.length
        ? h('table', { class: 'grid' },
            h('thead', {}, h('tr', {}, ['Start', 'End', 'Length', 'Type', 'Size', ''].map((t) => h('th', {}, t)))),
            h('tbody', {}, r.records.map((rec) =>
              h('tr', {},
                h('td', {}, localTime(rec.startTime)),
                h('td', {}, localTime(rec.endTime)),
                h('td', { class: 'num' }, duration(rec.end - rec.start)),
                h('td', {}, rec.type ?? ''),
                h('td', { class: 'num' }, bytes(rec.fileSize)),
                h('td', { class: 'actions' }, h('button', { onclick: () => void playback(rec) }, 'Play'), h('button', { onclick: () => void download(rec) }, 'Download')),
              ),
            )),
          )
        : '',
    );
  };

  const playback = async (rec: RecordDto) => {
    player?.close();
    player = null;
    const status = h('div', { class: 'player-status' }, 'asking the device to play back…');
    playerBox.replaceChildren(status);
    try {
      const s = await api<StreamDto>('POST', `/api/devices/${deviceId}/channels/${c.channelId}/playback`, { start: rec.start, end: rec.end });
      player = new InlinePlayer(s, 'hls');
      playerBox.replaceChildren(h('h3', {}, `Playback ${localTime(rec.startTime)} – ${localTime(rec.endTime)}`), player.video, player.status);
    } catch (e) {
      status.textContent = messageOf(e);
      status.classList.add('error');
    }
  };

  const download = async (rec: RecordDto) => {
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
          h('span', { class: d.state === 'failed' ? 'error' : 'muted' }, d.state === 'failed' ? d.error ?? 'failed' : `${d.state} ${Math.round(d.progress * 100)} % · ${bytes(d.bytes)}`),
          d.state === 'done' ? h('button', { class: 'primary', onclick: () => void save(d) }, 'Save MP4') : null,
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

  card.append(
    h('div', { class: 'toolbar' }, h('h2', {}, `Records · ${label}`), h('span', { class: 'grow' }), h('button', { onclick: close }, 'Close')),
    h('form', { class: 'row', onsubmit: (e: Event) => (e.preventDefault(), void search()) }, h('label', {}, 'From ', from), h('label', {}, 'To ', to), h('label', {}, 'Download at ', speed), h('button', { type: 'submit', class: 'primary' }, 'Search')),
    list,
    downloadsEl,
    playerBox,
  );
  const off = ctx.events.on(onEvent);
  return () => {
    off();
    player?.close();
    for (const u of blobUrls) URL.revokeObjectURL(u);
  };
}
