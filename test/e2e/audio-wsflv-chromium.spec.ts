import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, type TestBrowser } from '../support/chromium';
import { requireTool, startMediaRig, type MediaRig, type SimCamera, type StreamDto } from '../support/media-probe';

/**
 * Camera audio in a real browser (issue 12 items 4 and 5): a G.711 camera heard over HTTP-FLV and WS-FLV (mpegts.js),
 * a camera whose audio starts after its video heard over HLS (hls.js), both as energy in an AudioContext analyser on
 * the <video> element (the simulator sends a 440 Hz tone); WS-FLV plays and refuses a bad token with its close code.
 */
const AUDIO_DELAY_S = 3;
/** RMS of the analyser's time-domain samples above which the element is not silent (the tone gives ~0.08). */
const AUDIBLE_RMS = 0.01;

let rig: MediaRig;
let late: SimCamera;
let browser: TestBrowser;
let g711: StreamDto;
let lateDto: StreamDto;

beforeAll(async () => {
  requireTool('ffmpeg');
  const camera = { codec: 'h264' as const, width: 320, height: 180 };
  [rig, browser] = await Promise.all([startMediaRig({ ...camera, audio: 'g711a' }), launchChromium()]);
  late = await rig.addCamera({ ...camera, audio: 'g711u', audioDelayS: AUDIO_DELAY_S });
  [g711, lateDto] = await Promise.all([rig.play({ transport: 'udp' }), late.play({ transport: 'udp' })]);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await rig?.close();
});

/**
 * In the page (strings: this file compiles without the DOM lib): routes the <video id=v> through an AnalyserNode, unmutes
 * it, and defines window.rms() = RMS of the latest 2048 samples.
 */
const LISTEN = `(async () => {
  const v = document.getElementById('v');
  const ctx = new AudioContext();
  const an = ctx.createAnalyser();
  an.fftSize = 2048;
  ctx.createMediaElementSource(v).connect(an);
  an.connect(ctx.destination);
  v.muted = false;
  await ctx.resume();
  const buf = new Float32Array(an.fftSize);
  window.rms = () => { an.getFloatTimeDomainData(buf); let s = 0; for (const x of buf) s += x * x; return Math.sqrt(s / buf.length); };
  return ctx.state;
})()`;

/** Polls the page's analyser until it is audible and currentTime passed `minTime`; returns what it saw, or throws with the page state. */
async function hears(page: Page, logs: string[], minTime: number, withinMs: number): Promise<{ rms: number; currentTime: number; ctx: string }> {
  const ctx = (await page.evaluate(LISTEN)) as string;
  const until = Date.now() + withinMs;
  let last = { rms: 0, currentTime: 0 };
  while (Date.now() < until) {
    last = (await page.evaluate(`({ rms: window.rms(), currentTime: document.getElementById('v').currentTime })`)) as typeof last;
    if (last.rms > AUDIBLE_RMS && last.currentTime > minTime) return { ...last, ctx };
    await new Promise((r) => setTimeout(r, 200));
  }
  const st = await page.evaluate(`(() => { const v = document.getElementById('v'); const s = document.getElementById('status');
    return { status: s ? s.textContent : null, currentTime: v.currentTime, readyState: v.readyState, muted: v.muted, error: v.error ? v.error.message : null }; })()`);
  throw new Error(`no audio energy (last ${JSON.stringify(last)}, AudioContext ${ctx}): ${JSON.stringify(st)}; console: ${logs.slice(-8).join(' | ')}`);
}

async function open(url: string): Promise<{ page: Page; logs: string[] }> {
  const page = await browser.context.newPage();
  const logs: string[] = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  await page.goto(url);
  return { page, logs };
}

/** A bare page with mpegts.js from the gateway playing `url` (what the dashboard does with type 'flv'). */
async function mpegtsPage(url: string): Promise<{ page: Page; logs: string[] }> {
  const { page, logs } = await open(rig.url('/vendor/mpegts.js'));
  await page.setContent(`<!doctype html><video id="v" muted autoplay playsinline></video><div id="status"></div>`);
  await page.addScriptTag({ url: rig.url('/vendor/mpegts.js') });
  await page.evaluate(`(() => {
    const p = mpegts.createPlayer({ type: 'flv', isLive: true, url: ${JSON.stringify(url)} }, { enableStashBuffer: false, liveBufferLatencyChasing: true });
    p.on(mpegts.Events.ERROR, (t, d) => { document.getElementById('status').textContent = 'error ' + t + ' ' + d; });
    p.attachMediaElement(document.getElementById('v')); p.load(); p.play().catch(() => {});
  })()`);
  return { page, logs };
}

describe('camera audio and WS-FLV in Chromium', () => {
  it('a G.711 A-law camera over HTTP-FLV (mpegts.js): the video plays and the analyser hears the tone', async () => {
    const { page, logs } = await open(`${rig.url(g711.urls.player)}&mode=flv`);
    try {
      const got = await hears(page, logs, 1, 15_000);
      console.info(`[audio-chromium] FLV: RMS ${got.rms.toFixed(3)} at ${got.currentTime.toFixed(1)} s (AudioContext ${got.ctx})`);
      const listed = (await rig.streams()).find((s) => s.streamId === g711.streamId);
      expect(listed?.audioCodec).toBe('g711a');
    } finally {
      await page.close();
    }
  }, 25_000);

  it(`late audio over HLS (hls.js): a µ-law camera whose audio starts ${AUDIO_DELAY_S} s after its video plays from the start and is heard once its audio comes`, async () => {
    const { page, logs } = await open(`${rig.url(lateDto.urls.player)}&mode=hls`);
    try {
      // 10 s on an idle machine; CI with other files beside it once took more than 20 s
      const got = await hears(page, logs, AUDIO_DELAY_S - 1, 35_000);
      console.info(`[audio-chromium] HLS late audio: RMS ${got.rms.toFixed(3)} at ${got.currentTime.toFixed(1)} s`);
    } finally {
      await page.close();
    }
  }, 45_000);

  it('WS-FLV: urls.wsFlv is a ws:// URL; mpegts.js plays it (currentTime advances, the tone is heard); a bad token is closed with 4401 and a reason', async () => {
    expect(g711.urls.wsFlv).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/flv/${g711.streamId}\\.flv\\?token=`));
    const { page, logs } = await mpegtsPage(g711.urls.wsFlv);
    try {
      const got = await hears(page, logs, 1.5, 15_000);
      console.info(`[audio-chromium] WS-FLV: currentTime ${got.currentTime.toFixed(1)} s, RMS ${got.rms.toFixed(3)}`);
      const bad = g711.urls.wsFlv.replace(/token=[^&]+/, 'token=1.00000000000000000000000000000000');
      const closed = await page.evaluate(`new Promise((r) => { const w = new WebSocket(${JSON.stringify(bad)}); w.onclose = (e) => r({ code: e.code, reason: e.reason }); })`);
      expect(closed).toEqual({ code: 4401, reason: 'missing, expired or wrong media token' });
    } finally {
      await page.close();
    }
  }, 25_000);
});
