import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, type TestBrowser } from '../support/chromium';
import { requireTool, startMediaRig, type MediaRig, type StreamDto } from '../support/media-probe';
import { WebRtcService } from '../../apps/gateway/src/webrtc/webrtc.service';

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

  it('the regular player page (no mode) plays over WebRTC first; a second one, refused (WEBRTC_LIMIT), goes on with FLV on the same page', async () => {
    await waitForPeers(0);
    const player = (wait?: number) => rig.url(dto.urls.player) + (wait ? `&wait=${wait}` : '');
    const a = await browser.context.newPage();
    const b = await browser.context.newPage();
    try {
      await a.goto(player(8000));
      await a.waitForFunction(`/playing WEBRTC/.test(document.getElementById('status').textContent)`, undefined, { timeout: 9000, polling: 100 });
      expect(await a.evaluate(`document.getElementById('status').dataset.transport`)).toBe('webrtc');
      expect((await inbound(a))?.framesDecoded).toBeGreaterThan(0);
      await b.goto(player());
      await b.waitForFunction(`document.getElementById('v').currentTime > 0.5`, undefined, { timeout: 10_000, polling: 200 });
      expect(await b.evaluate(`[document.getElementById('status').dataset.transport, document.getElementById('status').dataset.fallback]`)).toEqual(['flv', 'refused: 503 WEBRTC_LIMIT']);
      expect(b.url()).toContain('/play/');
    } finally {
      await a.close({ runBeforeUnload: true });
      await b.close();
    }
  }, 25_000);

  it('a G.711 (A-law) camera: the audio goes out as PCMA, the peer connection counts audio packets and energy (inbound-rtp audio)', async () => {
    await waitForPeers(0);
    const cam = await rig.addCamera({ codec: 'h264', width: 320, height: 180, audio: 'g711a' });
    const g711 = await cam.play({ transport: 'udp' });
    const page = await browser.context.newPage();
    try {
      await page.goto(rig.url(g711.urls.player.replace('/play/', '/webrtc/')) + '&wait=8000');
      await page.evaluate(`document.getElementById('v').muted = false`); // played out, so the energy is measured
      const audio = () => page.evaluate(`(async () => { if (!window.__pc) return null; const r = await window.__pc.getStats(); let codec = null, st = null;
        for (const s of r.values()) if (s.type === 'inbound-rtp' && s.kind === 'audio') st = s;
        if (st && st.codecId) codec = r.get(st.codecId).mimeType;
        return st && { packetsReceived: st.packetsReceived || 0, totalAudioEnergy: st.totalAudioEnergy || 0, codec }; })()`) as Promise<{ packetsReceived: number; totalAudioEnergy: number; codec: string | null } | null>;
      let st = await audio();
      const until = Date.now() + 10_000;
      while (Date.now() < until && !(st && st.packetsReceived > 20 && st.totalAudioEnergy > 0)) {
        await new Promise((r) => setTimeout(r, 200));
        st = await audio();
      }
      console.info(`[webrtc] G.711 camera over WebRTC: ${JSON.stringify(st)}`);
      expect(st?.codec).toBe('audio/PCMA');
      expect(st?.packetsReceived).toBeGreaterThan(20);
      expect(st?.totalAudioEnergy).toBeGreaterThan(0);
      expect((await inbound(page))?.framesDecoded).toBeGreaterThan(0);
    } finally {
      await page.close({ runBeforeUnload: true });
      await cam.stop();
    }
  }, 30_000);
});

/** Until the gateway holds `n` WebRTC peers (a closed page's DELETE is asynchronous). */
async function waitForPeers(n: number): Promise<void> {
  const svc = rig.gw.app.get(WebRtcService);
  const until = Date.now() + 5000;
  while (svc.peerCount !== n && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  expect(svc.peerCount, 'WebRTC peers held by the gateway').toBe(n);
}

