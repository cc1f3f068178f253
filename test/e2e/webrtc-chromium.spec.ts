import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, type TestBrowser } from '../support/chromium';
import { requireTool, startMediaRig, type MediaRig, type StreamDto } from '../support/media-probe';

let rig: MediaRig;
let browser: TestBrowser;
let dto: StreamDto;

// One WebRTC viewer at most: the second page is refused (503 WEBRTC_LIMIT) and must fall back to FLV.
// WEBRTC_PUBLIC_HOST=127.0.0.1: the answer gets a loopback host candidate beside the interface ones.
beforeAll(async () => {
  requireTool('ffmpeg');
  [rig, browser] = await Promise.all([startMediaRig({ codec: 'h264', width: 640, height: 360 }, { WEBRTC_MAX_PEERS: '1', WEBRTC_PUBLIC_HOST: '127.0.0.1' }), launchChromium()]);
  dto = await rig.play({ transport: 'udp' });
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await rig?.close();
});

/**
 * The WebRTC player page. `wait` = ms before it gives up on WebRTC and goes to FLV (the page's default is 2 s; the
 * tests that must see WebRTC give it more, so a loaded CI machine slow at ICE + DTLS does not turn them into FLV).
 */
const webrtcPage = (wait?: number) => rig.url(dto.urls.player.replace('/play/', '/webrtc/')) + (wait ? `&wait=${wait}` : '');

/** inbound-rtp video stats of the page's peer connection (window.__pc). */
const inbound = (page: Page) =>
  page.evaluate(`(async () => { if (!window.__pc) return null; const r = await window.__pc.getStats();
    for (const s of r.values()) if (s.type === 'inbound-rtp' && s.kind === 'video') return { framesDecoded: s.framesDecoded || 0, frameWidth: s.frameWidth || 0, packetsReceived: s.packetsReceived || 0 };
    return { framesDecoded: 0, frameWidth: 0, packetsReceived: 0 }; })()`) as Promise<{ framesDecoded: number; frameWidth: number; packetsReceived: number } | null>;

describe('WebRTC playback (WHEP) in real Chromium', () => {
  let first: Page;

  it('the play answer has urls.webrtc; the WHEP endpoint wants the media token and application/sdp', async () => {
    expect(dto.urls.webrtc).toMatch(new RegExp(`^/whep/${dto.streamId}\\?token=`));
    const noToken = await fetch(rig.url(`/whep/${dto.streamId}`), { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: 'v=0\r\n' });
    expect(noToken.status).toBe(401);
    const json = await fetch(rig.url(dto.urls.webrtc!), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(400);
    const notSdp = await fetch(rig.url(dto.urls.webrtc!), { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: 'hello' });
    expect(notSdp.status).toBe(400);
    const gone = await fetch(rig.url(`/whep/${dto.streamId}/00000000-0000-0000-0000-000000000000?${dto.urls.webrtc!.split('?')[1]}`), { method: 'DELETE' });
    expect(gone.status).toBe(404);
  });

  it('the WebRTC page connects, its peer connection decodes H.264 frames (inbound-rtp framesDecoded > 0, 640 wide), and the stream counts the viewer', async () => {
    first = await browser.context.newPage();
    const logs: string[] = [];
    first.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
    const t0 = Date.now();
    await first.goto(webrtcPage(8000));
    let st = await inbound(first);
    while (Date.now() - t0 < 10_000 && !(st && st.framesDecoded > 0)) {
      await new Promise((r) => setTimeout(r, 100));
      st = await inbound(first);
    }
    const status = await first.evaluate(`document.getElementById('status').textContent`);
    expect(st?.framesDecoded, `no decoded frame in 10 s: ${JSON.stringify(st)}, status ${String(status)}, page ${first.url()}; console: ${logs.slice(-6).join(' | ')}`).toBeGreaterThan(0);
    const connectedMs = await first.evaluate(`document.getElementById('status').dataset.connectedMs`);
    console.info(`[webrtc] first decoded frame ${Date.now() - t0} ms after opening the page (connected ${String(connectedMs)} ms after the page started); ${JSON.stringify(st)}`);
    expect(st?.frameWidth).toBe(640);
    expect(first.url()).toContain('/webrtc/');
    const s = (await rig.streams()).find((x) => x.streamId === dto.streamId)!;
    expect(s.viewers).toBeGreaterThanOrEqual(1);
  }, 15_000);

  it('a second page past WEBRTC_MAX_PEERS is refused (503 WEBRTC_LIMIT) and falls back to the FLV player, which plays', async () => {
    const page = await browser.context.newPage();
    try {
      await page.goto(webrtcPage());
      await page.waitForURL(/mode=flv/, { timeout: 5000 });
      expect(decodeURIComponent(page.url())).toContain('refused: 503 WEBRTC_LIMIT');
      await page.waitForFunction(`document.getElementById('v').currentTime > 0.5`, undefined, { timeout: 10_000, polling: 200 });
    } finally {
      await page.close();
    }
  }, 20_000);

  it('closing the WebRTC page ends its session (DELETE on pagehide): a new WebRTC page is accepted again', async () => {
    await first.close({ runBeforeUnload: true });
    const page = await browser.context.newPage();
    try {
      await page.goto(webrtcPage(8000));
      await page.waitForFunction(`document.getElementById('status').textContent === 'connected WEBRTC' || /playing WEBRTC/.test(document.getElementById('status').textContent)`, undefined, { timeout: 9000, polling: 100 });
      expect(page.url()).toContain('/webrtc/');
    } finally {
      await page.close();
    }
  }, 15_000);
});
