import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDashboard, launchChromium, type TestBrowser } from '../support/chromium';
import { TEST_ADMIN_PASSWORD, waitFor } from '../support/gateway-harness';
import { requireTool, run, startMediaRig, type MediaRig } from '../support/media-probe';
import type { RecordPlanDto, RecordingsDto } from '@gb/contracts';

/** Wall time the record plan records before the list is checked (the issue asks for 2 minutes). */
const RECORD_S = 120;
const SEGMENT_S = 10;
const CAMERA = { codec: 'h264' as const, width: 320, height: 180, audio: 'g711a' as const };

let rig: MediaRig;
let browser: TestBrowser;
let recordingFrom = 0;

beforeAll(async () => {
  requireTool('ffmpeg');
  requireTool('ffprobe');
  [rig, browser] = await Promise.all([startMediaRig(CAMERA, { RECORD_SEGMENT_S: String(SEGMENT_S) }), launchChromium(), buildDashboard()]);
  // The 2-minute recording starts now and runs while the other tests of this file do their work.
  recordingFrom = Math.floor(Date.now() / 1000) - 1;
  const r = await rig.gw.api<RecordPlanDto>(`/api/channels/${rig.channelId}/record-plan`, { method: 'PUT', body: JSON.stringify({ mode: 'always' }) });
  if (r.status !== 200) throw new Error(`PUT record-plan -> ${r.status}: ${JSON.stringify(r.body)}`);
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await rig?.close();
});

const list = (r: MediaRig, from: number, to: number) => r.gw.api<RecordingsDto>(`/api/channels/${r.channelId}/recordings?from=${from}&to=${to}`);
const now = () => Math.floor(Date.now() / 1000);

async function ffprobeJson(path: string, entries: string): Promise<Record<string, unknown>> {
  const out = await run('ffprobe', ['-v', 'error', '-show_entries', entries, '-of', 'json', path]);
  return JSON.parse(out.stdout) as Record<string, unknown>;
}

describe('recording on the platform (record plans, storage, playback)', () => {
  it('an always plan records with no viewer: the plan says recording, its stream is held open, a segment is being written', async () => {
    const plan = await waitFor('the plan recording', async () => {
      const r = await rig.gw.api<RecordPlanDto>(`/api/channels/${rig.channelId}/record-plan`);
      return r.body.status.state === 'recording' && r.body.status.segmentStartedAt ? r.body : undefined;
    }, 20_000, 250);
    expect(plan).toMatchObject({ channelId: rig.channelId, deviceId: rig.deviceId, mode: 'always', enabled: true, status: { cause: null } });
    const plans = await rig.gw.api<RecordPlanDto[]>('/api/record-plans');
    expect(plans.body.map((p) => p.channelId)).toEqual([rig.channelId]);
    const audit = await waitFor('the plan write in the audit log', async () => (await rig.gw.api<{ action: string; outcome: string; actor: string }[]>('/api/audit?limit=100')).body.find((e) => e.action === 'recording.plan'), 10_000, 250);
    expect(audit).toMatchObject({ outcome: 'ok', actor: 'admin' });
  });

  it('hostile input: bad dates, reversed and oversized ranges, a bad plan, a missing or wrong media token are refused', async () => {
    const c = rig.channelId;
    const t = now();
    for (const q of [`from=yesterday&to=${t}`, `from=${t}&to=${t - 10}`, `from=${t - 40 * 86400}&to=${t}`, `from=${t}`, `from=${t - 60}&to=${t}&x=1`]) {
      expect((await rig.gw.api(`/api/channels/${c}/recordings?${q}`)).status, q).toBe(400);
    }
    expect((await rig.gw.api(`/api/channels/${c}/recordings/download?from=${t - 3 * 3600}&to=${t}`)).status).toBe(400);
    expect((await rig.gw.api(`/api/channels/${c}/record-plan`, { method: 'PUT', body: JSON.stringify({ mode: 'events' }) })).status).toBe(400);
    expect((await rig.gw.api(`/api/channels/${c}/record-plan`, { method: 'PUT', body: JSON.stringify({ mode: 'schedule', schedule: [{ day: 9, startMinute: 0, endMinute: 1 }] }) })).status).toBe(400);
    expect((await rig.gw.api('/api/channels/34020000001329999999/record-plan', { method: 'PUT', body: JSON.stringify({ mode: 'always' }) })).status).toBe(404);
    expect((await fetch(rig.url(`/rec/${c}/index.m3u8?from=${t - 60}&to=${t}`))).status).toBe(401);
    expect((await fetch(rig.url(`/rec/${c}/index.m3u8?from=${t - 60}&to=${t}&token=1.${'0'.repeat(32)}`))).status).toBe(401);
    const urls = (await list(rig, t - 60, t)).body.urls;
    expect((await fetch(rig.url(urls.hls.replace(/rec\/\d+\//, 'rec/34020000001329999999/')))).status).toBe(401);
    const token = new URL(urls.hls, 'http://x').searchParams.get('token')!;
    expect((await fetch(rig.url(`/rec/${c}/00000000-0000-4000-8000-000000000000.ts?token=${token}`))).status).toBe(404);
    expect((await fetch(rig.url(`/rec/${c}/..%2F..%2Fx.ts?token=${token}`))).status).toBe(400);
  });

  it('kill -9 of a recorder in the middle of a segment leaves a file that decodes up to its last flush', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gb-rec-kill-'));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../support/recorder-child.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const opened = await waitFor('the child opened a segment', () => /opened (\S+)/.exec(out)?.[1], 30_000, 100);
      const file = join(dir, opened);
      // a few seconds into a 10-minute segment, the file growing every second
      await waitFor('the segment 150 kB long', () => existsSync(file) && statSync(file).size > 150_000, 20_000, 200);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      const size = statSync(file).size;
      expect(size % 188, 'whole TS packets on disk').toBe(0);
      const decode = await run('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
      expect({ code: decode.code, errors: decode.stderr.trim() }).toEqual({ code: 0, errors: '' });
      const frames = await run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,nb_read_frames', '-of', 'json', file]);
      const v = (JSON.parse(frames.stdout) as { streams: { codec_name: string; nb_read_frames: string }[] }).streams[0]!;
      expect(v.codec_name).toBe('h264');
      expect(Number(v.nb_read_frames)).toBeGreaterThan(25); // more than a second of 25 fps video
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('a tiny RECORD_QUOTA_BYTES on a second gateway deletes the oldest segments (index and files) and keeps recording', async () => {
    const small = await startMediaRig({ codec: 'h264', width: 320, height: 180 }, { RECORD_SEGMENT_S: '2', RECORD_QUOTA_BYTES: '120000' });
    try {
      const from = now() - 1;
      expect((await small.gw.api(`/api/channels/${small.channelId}/record-plan`, { method: 'PUT', body: JSON.stringify({ mode: 'always' }) })).status).toBe(200);
      const first = await waitFor('a first finished segment', async () => (await list(small, from, now() + 60)).body.segments.find((s) => s.end !== null), 20_000, 250);
      const recDir = join(small.gw.dataDir, 'recordings');
      const firstFile = join(recDir, small.channelId, first.start.slice(0, 10), `${Date.parse(first.start)}.ts`);
      expect(existsSync(firstFile)).toBe(true);
      // (a segment that just finished may be listed for a moment before the sweep that follows it: poll)
      const finishedBytes = (l: RecordingsDto) => l.segments.filter((s) => s.end !== null).reduce((n, s) => n + s.bytes, 0);
      const later = await waitFor('the first segment deleted by the quota, the rest within it', async () => {
        const l = (await list(small, from, now() + 60)).body;
        return l.segments.some((s) => s.id === first.id) || finishedBytes(l) > 120_000 ? undefined : l;
      }, 30_000, 500);
      expect(existsSync(firstFile)).toBe(false);
      expect(later.segments.filter((s) => s.end !== null).length).toBeGreaterThan(0);
      expect(finishedBytes(later)).toBeGreaterThan(0);
      const onDisk = readdirSync(join(recDir, small.channelId), { recursive: true }).filter((f) => String(f).endsWith('.ts')).length;
      expect(onDisk).toBeLessThanOrEqual(later.segments.length + 1);
    } finally {
      await small.close();
    }
  }, 80_000);

  it(`after ${RECORD_S} s the list shows segments covering the whole time in one range`, async () => {
    const wait = recordingFrom * 1000 + (RECORD_S + SEGMENT_S + 3) * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const l = (await list(rig, recordingFrom, now())).body;
    const finished = l.segments.filter((s) => s.end !== null);
    const seconds = finished.reduce((n, s) => n + (Date.parse(s.end!) - Date.parse(s.start)) / 1000, 0);
    expect(seconds).toBeGreaterThan(RECORD_S - 5);
    expect(finished.every((s) => s.codec === 'h264' && s.bytes > 0)).toBe(true);
    expect(l.ranges.length, JSON.stringify(l.ranges)).toBe(1);
    const range = (Date.parse(l.ranges[0]!.end) - Date.parse(l.ranges[0]!.start)) / 1000;
    expect(range).toBeGreaterThan(RECORD_S);
    const seg = await ffprobeJson(join(rig.gw.dataDir, 'recordings', rig.channelId, finished[1]!.start.slice(0, 10), `${Date.parse(finished[1]!.start)}.ts`), 'stream=codec_type,codec_name');
    expect((seg.streams as { codec_name: string }[]).map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
  }, (RECORD_S + 60) * 1000);

  it('playback in Chromium (hls.js over the VOD playlist): seeking to a later time lands there and plays on; playbackRate 2 plays', async () => {
    const l = (await list(rig, recordingFrom, now())).body;
    const page = await browser.context.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
    try {
      await page.goto(rig.url('/vendor/hls.min.js'));
      await page.setContent('<video id="v" muted playsinline></video>');
      await page.addScriptTag({ url: '/vendor/hls.min.js' });
      await page.evaluate(`(() => { const v = document.getElementById('v'); const h = new Hls(); window.hlsErrors = [];
        h.on(Hls.Events.ERROR, (_e, d) => window.hlsErrors.push(d.details + (d.fatal ? ' fatal' : '')));
        window.hlsPlayer = h; h.loadSource(${JSON.stringify(rig.url(l.urls.hls))}); h.attachMedia(v); v.play().catch(() => undefined); })()`);
      const state = () => page.evaluate(`(() => { const v = document.getElementById('v'); const b = []; for (let i = 0; i < v.buffered.length; i++) b.push([+v.buffered.start(i).toFixed(2), +v.buffered.end(i).toFixed(2)]); return { t: v.currentTime, rate: v.playbackRate, duration: v.duration, errors: window.hlsErrors, buffered: b, readyState: v.readyState, seeking: v.seeking, paused: v.paused }; })()`) as Promise<{ t: number; rate: number; duration: number; errors: string[] }>;
      await page.waitForFunction(`document.getElementById('v').currentTime > 1`, undefined, { timeout: 20_000, polling: 200 }).catch(() => undefined);
      const start = await state();
      expect(start.t, `${JSON.stringify(start)} ${logs.slice(-5).join(' | ')}`).toBeGreaterThan(1);
      expect(start.duration).toBeGreaterThan(RECORD_S - 5);
      // play() again after the seek: a seek while the machine is loaded once left the element waiting at 90 s (CI)
      await page.evaluate(`(() => { const v = document.getElementById('v'); v.currentTime = 90; v.play().catch(() => undefined); })()`);
      await page.waitForFunction(`document.getElementById('v').currentTime > 91`, undefined, { timeout: 25_000, polling: 200 }).catch(() => undefined);
      let seeked = await state();
      if (!(seeked.t > 91)) {
        // Two loaded CI runs left the element at exactly 90 s, no hls.js error; never seen on this machine, loaded or not.
        // Logged for the next look (the player's buffered ranges, the playlist's durations and discontinuities), then
        // the operator's move: seek once more. Still stuck fails.
        const playlist = await (await fetch(rig.url(l.urls.hls))).text().catch((e: Error) => e.message);
        console.info(`[recording] stuck after the seek: ${JSON.stringify(seeked)}\n${playlist.slice(0, 6000)}\n${logs.slice(-10).join('\n')}`);
        // Which track has the hole (MSE buffers audio and video apart; the element's ranges are their intersection),
        // and where the recorded segments' first packets lie (PTS of the first video, first keyframe, first audio).
        console.info(`[recording] per source buffer: ${JSON.stringify(await page.evaluate(`(() => { try { const bc = window.hlsPlayer.bufferController; const ms = bc.mediaSource || bc._mediaSource; const o = { tracks: Object.keys(bc.tracks || {}), ranges: [] }; for (let j = 0; j < ms.sourceBuffers.length; j++) { const b = ms.sourceBuffers[j].buffered; const r = []; for (let i = 0; i < b.length; i++) r.push([+b.start(i).toFixed(2), +b.end(i).toFixed(2)]); o.ranges.push(r); } return o; } catch (e) { return String(e); } })()`))}`);
        const finished = l.segments.filter((x) => x.end !== null);
        for (const i of [0, 7, 8, 9, 10]) {
          const seg = finished[i];
          if (!seg) continue;
          const file = join(rig.gw.dataDir, 'recordings', rig.channelId, seg.start.slice(0, 10), `${Date.parse(seg.start)}.ts`);
          const out = await run('ffprobe', ['-v', 'error', '-show_entries', 'packet=codec_type,pts_time,flags', '-of', 'csv=p=0', '-read_intervals', '%+#60', file]).then((r) => r.stdout, (e: Error) => e.message);
          const rows = out.split('\n').map((line) => line.split(',')).filter((c) => c.length >= 3);
          const first = (ok: (c: string[]) => boolean) => rows.find(ok)?.[1] ?? null;
          console.info(`[recording] segment ${i} ${seg.start} → ${seg.end} ${seg.bytes} B: first video ${first((c) => c[0] === 'video')}, first keyframe ${first((c) => c[0] === 'video' && c[2]!.startsWith('K'))}, first audio ${first((c) => c[0] === 'audio')}`);
        }
        await page.evaluate(`(() => { const v = document.getElementById('v'); v.currentTime = 90.5; v.play().catch(() => undefined); })()`);
        await page.waitForFunction(`document.getElementById('v').currentTime > 91.5`, undefined, { timeout: 20_000, polling: 200 }).catch(() => undefined);
        seeked = await state();
      }
      expect(seeked.t, JSON.stringify(seeked)).toBeGreaterThan(91);
      expect(seeked.t).toBeLessThan(100);
      await page.evaluate(`document.getElementById('v').playbackRate = 2`);
      await page.waitForFunction(`document.getElementById('v').currentTime > ${seeked.t + 3}`, undefined, { timeout: 20_000, polling: 200 }).catch(() => undefined);
      const fast = await state();
      expect(fast.rate).toBe(2);
      expect(fast.t, JSON.stringify(fast)).toBeGreaterThan(seeked.t + 3);
      expect(fast.errors.filter((e) => e.endsWith('fatal'))).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);

  it('dashboard: the records panel\'s Platform source shows the plan (recording) and the recorded range on the bar; a click plays it, the speed select sets playbackRate', async () => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.setViewportSize({ width: 1440, height: 900 });
      await page.goto(`${rig.gw.httpUrl}/`);
      await page.fill('input[name=password]', TEST_ADMIN_PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForURL(/#\/devices$/);
      await page.goto(`${rig.gw.httpUrl}/#/devices/${rig.deviceId}`);
      await page.click(`[data-channel-id="${rig.channelId}"] button[data-action=records]`);
      await page.selectOption('[data-field=records-source]', 'platform');
      const box = '[data-field=records-platform]';
      // (the dashboard's CSP forbids waitForFunction's string evaluation: poll with evaluate)
      await waitFor('the plan shown recording', async () => String(await page.evaluate(`document.querySelector('${box} [data-field=plan-state]')?.textContent ?? ''`)).startsWith('recording'), 10_000, 200);
      expect(await page.inputValue(`${box} [data-field=plan-mode]`)).toBe('always');
      const bar = await waitFor('the recorded range on the platform bar', async () => {
        const b = (await page.evaluate(`(() => { const bar = document.querySelector('${box} [data-field=timeline-bar]'); if (!bar) return null; const r = bar.getBoundingClientRect();
          return { from: Number(bar.dataset.from), to: Number(bar.dataset.to), left: r.left, top: r.top, width: r.width, height: r.height,
            segs: [...bar.querySelectorAll('rect.tl-seg')].map((s) => [Number(s.dataset.start), Number(s.dataset.end)]) }; })()`)) as { from: number; to: number; left: number; top: number; width: number; height: number; segs: [number, number][] } | null;
        return b && b.segs.length > 0 ? b : undefined;
      }, 10_000, 200);
      // the API's range, read after the bar's, reaches further: the segment being written ends "now"
      const ranges = (await list(rig, bar.from, bar.to)).body.ranges.map((r) => [Date.parse(r.start) / 1000, Date.parse(r.end) / 1000] as const);
      expect(bar.segs.map(([a]) => Math.floor(a))).toEqual(ranges.map(([a]) => Math.floor(a)));
      bar.segs.forEach(([, end], i) => expect(end).toBeLessThanOrEqual(ranges[i]![1]));
      expect(bar.segs[0]![1] - bar.segs[0]![0]).toBeGreaterThan(RECORD_S);
      const [a, b] = bar.segs[0]!;
      const x = bar.left + ((a + (b - a) / 2 - bar.from) / (bar.to - bar.from)) * bar.width;
      await page.mouse.click(x, bar.top + bar.height / 2);
      await waitFor('the platform video playing', async () => Number(await page.evaluate(`document.querySelector('${box} [data-field=platform-video]').currentTime`)) > 1, 20_000, 200);
      await page.selectOption(`${box} [data-field=platform-speed]`, '2');
      expect(await page.evaluate(`document.querySelector('${box} [data-field=platform-video]').playbackRate`)).toBe(2);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('a range downloads as one MP4: H.264, the length of the range (±2 s), named as an attachment', async () => {
    const first = (await list(rig, recordingFrom, now())).body.ranges[0]!;
    const from = Math.ceil(Date.parse(first.start) / 1000) + 20;
    const to = from + 30;
    const l = (await list(rig, from, to)).body;
    const r = await fetch(`${rig.gw.httpUrl}/api/channels/${rig.channelId}/recordings/download?from=${from}&to=${to}`, { headers: await rig.gw.auth() });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('video/mp4');
    expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="\d+_\d{8}T\d{6}_\d{8}T\d{6}\.mp4"$/);
    const dir = mkdtempSync(join(tmpdir(), 'gb-rec-mp4-'));
    try {
      const file = join(dir, 'r.mp4');
      writeFileSync(file, Buffer.from(await r.arrayBuffer()));
      const p = (await ffprobeJson(file, 'format=duration,format_name:stream=codec_name')) as { format: { duration: string; format_name: string }; streams: { codec_name: string }[] };
      expect(p.format.format_name).toMatch(/mp4/);
      expect(p.streams.map((s) => s.codec_name)).toContain('h264');
      expect(Math.abs(Number(p.format.duration) - 30)).toBeLessThanOrEqual(2);
      // the signed media URL gives the same file
      const media = await fetch(rig.url(l.urls.download));
      expect(media.status).toBe(200);
      expect(Number(media.headers.get('content-length'))).toBe(statSync(file).size);
      await media.arrayBuffer();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
