import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { launchChromium, mseSupport, type TestBrowser } from '../support/chromium';
import { audioRms, probeVideo, readFor, requireTool, segmentFile, startMediaRig, waitForSegments, type MediaRig, type SimCamera, type StreamDto } from '../support/media-probe';
import { WebSocket } from 'ws';
import { waitFor } from '../support/gateway-harness';

/**
 * Browsers without HEVC (Debian's Chromium has none): an H.265 camera plays through its H.264 rendition
 * (POST …/play {codec: "h264"}: one ffmpeg/libx264 transcode), and the player page switches to it by itself.
 * TRANSCODE_MAX = 1: a second H.265 camera's rendition is refused with TRANSCODE_LIMIT, in plain words on its page,
 * until the first transcode stops with its source.
 */
let rig: MediaRig;
let browser: TestBrowser;
let second: SimCamera;
let dto: StreamDto;

beforeAll(async () => {
  requireTool('ffmpeg');
  requireTool('ffprobe');
  const t0 = Date.now();
  const rigUp = startMediaRig({ codec: 'h265', width: 640, height: 360 }, { TRANSCODE_MAX: '1' });
  [rig, browser, second] = await Promise.all([rigUp, launchChromium(), rigUp.then((r) => r.addCamera({ codec: 'h265', width: 320, height: 180, audio: 'g711a' }))]);
  console.info(`[h264-rendition] gateway, two cameras and Chromium up in ${Date.now() - t0} ms`);
}, 30_000);
afterAll(async () => {
  const t0 = Date.now();
  await Promise.all([browser?.close(), rig?.close()]);
  console.info(`[h264-rendition] teardown ${Date.now() - t0} ms`);
});

/** Opens `url` and waits until the <video> played past `seconds` or the status line shows an error or a refusal. */
async function openPlayer(url: string, seconds: number, withinMs: number): Promise<{ currentTime: number; status: string; codec?: string; code?: string }> {
  const page = await browser.context.newPage();
  const logs: string[] = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  try {
    await page.goto(url);
    // strings, evaluated in the page (this file compiles without the DOM lib)
    await page
      .waitForFunction(`document.getElementById('v').currentTime > ${seconds} || !!document.getElementById('status').dataset.code || /error/i.test(document.getElementById('status').textContent)`, undefined, { timeout: withinMs, polling: 200 })
      .catch(() => undefined);
    const st = (await page.evaluate(`(() => { const s = document.getElementById('status');
      return { currentTime: document.getElementById('v').currentTime, status: s.textContent, codec: s.dataset.codec, code: s.dataset.code }; })()`)) as { currentTime: number; status: string; codec?: string; code?: string };
    if (st.currentTime <= seconds && !st.code) console.info(`[h264-rendition] ${url.replace(/token=[^&]+/, 'token=…')}: ${JSON.stringify(st)}; console: ${logs.slice(-6).join(' | ')}`);
    return st;
  } finally {
    await page.close();
  }
}

describe('an H.265 camera in a browser without HEVC', () => {
  it('POST …/play {codec: "h264"} answers the H.264 rendition; its HLS segment is h264 at the camera\'s 640x360; Chromium plays it over HLS (the source\'s player page switches by itself) and over FLV; WS-FLV serves it', async () => {
    const mse = await mseSupport(browser.context);
    expect(mse.h265, `this Chromium decodes HEVC (${mse.userAgent}): the test needs one without`).toBe(false);
    const t0 = Date.now();
    dto = await rig.play({ transport: 'udp', codec: 'h264' });
    expect(dto.streamId).toBe(`${rig.deviceId}_${rig.channelId}_h264`);
    expect(dto.codec).toBe('h264');
    expect(dto.rendition).toEqual({ codec: 'h264', transcode: true, sourceStreamId: `${rig.deviceId}_${rig.channelId}`, sourceCodec: 'h265' });
    expect(dto.urls.hls).toContain(`/live/${dto.streamId}/index.m3u8?token=`);
    const st = await waitForSegments(rig.url(dto.urls.hls), 1, 15_000);
    console.info(`[h264-rendition] play + first rendition segment ${Date.now() - t0} ms`);
    const seg = await segmentFile(st);
    try {
      const p = await probeVideo(seg.path);
      expect({ codec: p.codec, width: p.width, height: p.height }).toEqual({ codec: 'h264', width: 640, height: 360 });
      expect(p.frames).toBeGreaterThan(0);
    } finally {
      seg.cleanup();
    }
    // the camera's own stream still answers (no codec asked): H.265
    const own = await rig.play({ transport: 'udp' });
    expect(own.codec).toBe('h265');
    expect(own.rendition).toBeUndefined();

    const viaSource = await openPlayer(`${rig.url(own.urls.player)}&mode=hls`, 1, 15_000);
    expect(viaSource.codec).toBe('h264-rendition');
    expect(viaSource.currentTime, viaSource.status).toBeGreaterThan(1);
    const flv = await openPlayer(`${rig.url(dto.urls.player)}&mode=flv`, 1, 10_000);
    expect(flv.currentTime, flv.status).toBeGreaterThan(1);
    // WS-FLV of the rendition: the FLV file header first
    const first = await new Promise<Buffer>((ok, fail) => {
      const ws = new WebSocket(dto.urls.wsFlv.startsWith('ws') ? dto.urls.wsFlv : rig.url(dto.urls.wsFlv).replace(/^http/, 'ws'));
      const timer = setTimeout(() => (ws.terminate(), fail(new Error('no WS-FLV data in 5 s'))), 5000);
      ws.on('message', (b: Buffer) => (clearTimeout(timer), ws.close(), ok(b)));
      ws.on('close', (code, why) => (clearTimeout(timer), fail(new Error(`WS-FLV closed ${code} ${why.toString()}`))));
      ws.on('error', (e) => (clearTimeout(timer), fail(e)));
    });
    expect(first.subarray(0, 3).toString('latin1')).toBe('FLV');
  }, 45_000);

  it('TRANSCODE_MAX = 1: a second H.265 camera\'s rendition is refused (503 TRANSCODE_LIMIT, plain words on its player page) until the first transcode stops with its source', async () => {
    const path = `/api/devices/${second.deviceId}/channels/${second.channelId}/play`;
    const refused = await rig.gw.api<{ code: string; message: string }>(path, { method: 'POST', body: JSON.stringify({ codec: 'h264' }) });
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('TRANSCODE_LIMIT');
    const own = await second.play({});
    expect(own.codec).toBe('h265');
    const page = await openPlayer(`${rig.url(own.urls.player)}&mode=hls`, 1, 10_000);
    expect(page.code).toBe('TRANSCODE_LIMIT');
    expect(page.status).toMatch(/cannot decode.*already converting as many streams/);
    // the first camera's stream ends: its transcode stops with it, and the second one may start
    const bad = await rig.gw.api(`/api/devices/${rig.deviceId}/channels/${rig.channelId}/play`, { method: 'POST', body: JSON.stringify({ codec: 'hevc' }) });
    expect(bad.status).toBe(400);
    expect((await rig.gw.api(`/api/streams/${dto.rendition!.sourceStreamId}`, { method: 'DELETE' })).status).toBe(204);
    const next = await waitFor('the second rendition admitted', async () => {
      const r = await rig.gw.api<StreamDto>(path, { method: 'POST', body: JSON.stringify({ codec: 'h264' }) });
      return r.status === 200 ? r.body : null;
    }, 5000, 100);
    expect(next.rendition?.sourceCodec).toBe('h265');
    // GET /api/streams lists the rendition after its source, with its own token
    const listed = (await rig.gw.api<StreamDto[]>('/api/streams')).body.find((x) => x.streamId === next.streamId);
    expect(listed?.rendition?.sourceStreamId).toBe(`${second.deviceId}_${second.channelId}`);
    expect(listed?.urls.hls).toContain(`/live/${next.streamId}/index.m3u8?token=`);
    // the second camera sends G.711 A-law: the rendition carries the source's AAC track (FLV flags audio + video, the tone decodes)
    expect(listed?.audioTrack).toBe(true);
    const flvBytes = await readFor(rig.url(next.urls.flv), 4000);
    expect(flvBytes[4], 'FLV flags of the rendition').toBe(0x05);
    const rms = audioRms(flvBytes, 'flv');
    expect(rms.filter((x) => x > 1000).length, `rendition FLV audio RMS per 100 ms: ${rms.join(' ')}`).toBeGreaterThan(5);
    const st = await waitForSegments(rig.url(next.urls.hls), 1, 15_000);
    const seg = await segmentFile(st);
    try {
      expect(await probeVideo(seg.path)).toMatchObject({ codec: 'h264', width: 320, height: 180 });
    } finally {
      seg.cleanup();
    }
    // DELETE of the rendition's ID stops the transcode only: the camera's own stream stays
    expect((await rig.gw.api(`/api/streams/${next.streamId}`, { method: 'DELETE' })).status).toBe(204);
    const after = (await rig.gw.api<StreamDto[]>('/api/streams')).body.map((x) => x.streamId);
    expect(after).not.toContain(next.streamId);
    expect(after).toContain(`${second.deviceId}_${second.channelId}`);
    expect(rig.errors).toEqual([]);
  }, 40_000);
});
