import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, type TestBrowser } from '../support/chromium';
import { expectLiveStream, fetchBytes, probeVideo, requireTool, startMediaRig, waitForSegments, type MediaRig, type StreamDto } from '../support/media-probe';

let rig: MediaRig;
let browser: TestBrowser;
let dto: StreamDto;

beforeAll(async () => {
  requireTool('ffmpeg');
  requireTool('ffprobe');
  [rig, browser] = await Promise.all([startMediaRig({ codec: 'h264', width: 640, height: 360 }, { HLS_MUXER: 'internal' }), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await rig?.close();
});

/** Command lines of the processes on this machine that write HLS into `dir` (an ffmpeg remuxer would). */
function hlsWritersUnder(dir: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes(dir) && cmd.includes('index.m3u8')) out.push(cmd);
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

describe('live view with HLS_MUXER=internal (H.264 over UDP, no audio)', () => {
  it('play yields HLS written in-process (no ffmpeg for it): segments ffprobe as 640x360 H.264, FLV has a video tag', async () => {
    const r = await expectLiveStream(rig, 'udp', { codec: 'h264', width: 640, height: 360 }, (ok, msg) => expect(ok, msg).toBe(true));
    dto = r.dto;
    expect(hlsWritersUnder(rig.gw.dataDir)).toEqual([]);
    expect(r.hls.playlist).toMatch(/^#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:\d+\n#EXT-X-MEDIA-SEQUENCE:\d+\n/);
    expect(r.hls.segments[0]).toMatch(/seg_\d{5}\.ts\?token=/);
    console.info(`[media-internal-hls] play ${r.figures.playMs} ms, first HLS segment ${r.figures.firstSegmentMs} ms, first FLV video tag ${r.figures.firstFlvVideoMs} ms`);
    expect(rig.errors).toEqual([]);
  }, 45_000);

  it('three listed segments each decode cleanly, and the playlist (closed with ENDLIST) reads as their frames together', async () => {
    const hls = await waitForSegments(rig.url(dto.urls.hls), 3, 20_000);
    const dir = mkdtempSync(join(tmpdir(), 'inthls-e2e-'));
    try {
      const names: string[] = [];
      let frames = 0;
      for (const [i, url] of hls.segments.entries()) {
        const name = `s${i}.ts`;
        writeFileSync(join(dir, name), await fetchBytes(url));
        const p = await probeVideo(join(dir, name));
        expect([p.codec, p.width, p.height, p.errors]).toEqual(['h264', 640, 360, '']);
        expect(p.frames).toBeGreaterThan(0);
        frames += p.frames;
        names.push(name);
      }
      // EXTINF lines kept, URIs pointed at the local copies; ffprobe reads a live playlist forever, so end it
      let k = 0;
      const local = hls.playlist.split('\n').map((l) => (l && !l.startsWith('#') ? names[k++] : l)).join('\n') + '#EXT-X-ENDLIST\n';
      writeFileSync(join(dir, 'index.m3u8'), local);
      const all = await probeVideo(join(dir, 'index.m3u8'));
      expect([all.codec, all.width, all.height]).toEqual(['h264', 640, 360]);
      expect(all.frames).toBe(frames);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);

  it('the player page (hls.js in Chromium) plays past 2.5 s, across segment boundaries', async () => {
    const page = await browser.context.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
    const t0 = Date.now();
    try {
      await page.goto(`${rig.url(dto.urls.player)}&mode=hls`);
      try {
        await page.waitForFunction(`document.getElementById('v').currentTime > 2.5 || /error/i.test(document.getElementById('status').textContent)`, undefined, { timeout: 20_000, polling: 200 });
      } catch {
        // reported below with the page's state
      }
      const st = (await page.evaluate(`(() => { const v = document.getElementById('v');
        return { status: document.getElementById('status').textContent, currentTime: v.currentTime, error: v.error ? v.error.message : null }; })()`)) as { currentTime: number };
      expect(st.currentTime, `HLS player state ${JSON.stringify(st)}; console: ${logs.slice(-8).join(' | ')}`).toBeGreaterThan(2.5);
      console.info(`[media-internal-hls] Chromium HLS: currentTime > 2.5 s after ${Date.now() - t0} ms`);
    } finally {
      await page.close();
    }
  }, 30_000);
});
