import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { launchChromium, mseSupport, type TestBrowser } from '../support/chromium';
import { requireTool, startMediaRig, waitForSegments, type MediaRig, type StreamDto } from '../support/media-probe';

let rig: MediaRig;
let browser: TestBrowser;
let dto: StreamDto;

beforeAll(async () => {
  requireTool('ffmpeg');
  [rig, browser] = await Promise.all([startMediaRig({ codec: 'h264', width: 640, height: 360 }), launchChromium()]);
  dto = await rig.play({ transport: 'udp' });
});
afterAll(async () => {
  await browser?.close();
  await rig?.close();
});

/** Opens the player page and waits until the <video> has played past `seconds`; returns the time that took. */
async function playsPast(mode: 'hls' | 'flv' | 'webrtc', seconds: number, withinMs = 15_000): Promise<number> {
  const page = await browser.context.newPage();
  const logs: string[] = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  const t0 = Date.now();
  try {
    // WebRTC is the page's default (no mode); &wait=8000: a loaded machine may take longer than the 2 s before FLV.
    await page.goto(`${rig.url(dto.urls.player)}${mode === 'webrtc' ? '&wait=8000' : `&mode=${mode}`}`);
    try {
      // strings, evaluated in the page (this file compiles without the DOM lib)
      // stop early on a fatal player error (the status line says so)
      await page.waitForFunction(`document.getElementById('v').currentTime > ${seconds} || /error/i.test(document.getElementById('status').textContent)`, undefined, { timeout: withinMs, polling: 200 });
      if (await page.evaluate(`document.getElementById('v').currentTime > ${seconds}`)) {
        // what the page played over, and for WebRTC the peer connection's decoded frames
        const [transport, decoded] = (await page.evaluate(`(async () => { let n = null; if (window.__pc) for (const s of (await window.__pc.getStats()).values()) if (s.type === 'inbound-rtp' && s.kind === 'video') n = s.framesDecoded;
          return [document.getElementById('status').dataset.transport, n]; })()`)) as [string, number | null];
        expect(transport).toBe(mode);
        if (mode === 'webrtc') expect(decoded).toBeGreaterThan(0);
        return Date.now() - t0;
      }
      throw new Error('player error');
    } catch {
      const st = await page.evaluate(`(() => { const v = document.getElementById('v');
        return { status: document.getElementById('status').textContent, currentTime: v.currentTime, readyState: v.readyState, error: v.error ? v.error.message : null }; })()`);
      throw new Error(`${mode.toUpperCase()} player did not play past ${seconds} s (${Date.now() - t0} ms): ${JSON.stringify(st)}; console: ${logs.slice(-8).join(' | ')}`);
    }
  } finally {
    await page.close();
  }
}

describe('the player page in real Chromium', () => {
  it('Chromium MSE decodes H.264 (avc1) and AAC; HEVC support is reported', async () => {
    const mse = await mseSupport(browser.context);
    console.info(`[browser-player] ${mse.userAgent}: MSE avc1 ${mse.h264}, hvc1/hev1 ${mse.h265}, mp4a ${mse.aac}`);
    expect(mse.h264, 'this Chromium cannot decode H.264 in MSE: the gateway would have to transcode').toBe(true);
    expect(mse.aac).toBe(true);
  });

  it('mode=hls opened right after play (before the first segment exists, as a user does): the video element plays past 1 s', async () => {
    const ms = await playsPast('hls', 1);
    console.info(`[browser-player] HLS opened at once: currentTime > 1 s after ${ms} ms`);
  }, 20_000);

  it('mode=hls (hls.js) opened once the playlist lists a segment: the video element plays past 1 s', async () => {
    await waitForSegments(rig.url(dto.urls.hls), 1);
    const ms = await playsPast('hls', 1);
    console.info(`[browser-player] HLS: currentTime > 1 s after ${ms} ms`);
  }, 30_000);

  it('mode=flv (mpegts.js over HTTP-FLV): the video element plays past 1 s', async () => {
    const ms = await playsPast('flv', 1);
    console.info(`[browser-player] FLV: currentTime > 1 s after ${ms} ms`);
  }, 30_000);

  it('no mode (WebRTC first): the page plays over WebRTC (inbound-rtp framesDecoded > 0) past 1 s', async () => {
    const ms = await playsPast('webrtc', 1);
    console.info(`[browser-player] WebRTC: currentTime > 1 s after ${ms} ms`);
  }, 30_000);
});
