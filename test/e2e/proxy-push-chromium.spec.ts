import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type TestBrowser } from '../support/chromium';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { probeVideo, requireTool, rtpRangeEnv, segmentFile, waitForSegments, type StreamDto } from '../support/media-probe';
import { RtmpHevcPublisher } from '../support/rtmp-test-publisher';
import { RtspTestServer } from '../support/rtsp-test-server';
import { freePort } from '../support/sipp';

interface ProxyDto {
  id: string;
  deviceId: string;
  channelId: string;
  mode: string;
  url: string | null;
  publishUrl: string | null;
  state: string;
  causeCode: string | null;
  cause: string | null;
  streamId: string | null;
}

let gw: TestGateway | undefined;
let browser: TestBrowser | undefined;
let dir: string | undefined;
let clip: string;
let rtsp: RtspTestServer | undefined;
const publishers = new Set<ChildProcess>();

/** A real RTMP publisher: ffmpeg sends the clip (H.264 640x360, looped, real time) to `url` as an encoder would. */
function publish(url: string): ChildProcess & { exited: Promise<number | null>; stderr: () => string } {
  const p = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', clip, '-c', 'copy', '-f', 'flv', url], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  publishers.add(p);
  const exited = new Promise<number | null>((r) => p.once('close', (code) => r(code)));
  void exited.then(() => publishers.delete(p));
  return Object.assign(p, { exited, stderr: () => err });
}

async function stop(p: ChildProcess & { exited: Promise<number | null> }): Promise<void> {
  if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await p.exited;
}

async function proxy(id: string): Promise<ProxyDto> {
  return (await gw!.api<ProxyDto>(`/api/proxies/${id}`)).body;
}

/** The player page (mode=flv, mpegts.js) of a fresh play of the channel: resolves once the video played past 1 s. */
async function playsInChromium(p: ProxyDto): Promise<void> {
  const play = await gw!.api<StreamDto>(`/api/devices/${p.deviceId}/channels/${p.channelId}/play`, { method: 'POST', body: '{}' });
  expect(play.status, JSON.stringify(play.body)).toBe(200);
  const page = await browser!.context.newPage();
  try {
    await page.goto(`${gw!.httpUrl}${play.body.urls.player}&mode=flv`);
    await page
      .waitForFunction(`document.getElementById('v').currentTime > 1 && document.getElementById('v').videoWidth === 640`, undefined, { timeout: 15_000, polling: 200 })
      .catch(async (e: Error) => {
        const st = await page.evaluate(`(() => { const v = document.getElementById('v'); return { status: document.getElementById('status').textContent, t: v.currentTime, w: v.videoWidth }; })()`);
        throw new Error(`the push proxy did not play in Chromium: ${JSON.stringify(st)} (${e.message})`);
      });
  } finally {
    await page.close();
  }
}

beforeAll(async () => {
  requireTool('ffmpeg');
  dir = mkdtempSync(join(tmpdir(), 'gbpush-'));
  clip = join(dir, 'clip.flv');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-t', '4', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25', '-pix_fmt', 'yuv420p', '-f', 'flv', clip]);
  const rtmpPort = await freePort();
  [gw, browser] = await Promise.all([startTestGateway({ ...rtpRangeEnv(), RTMP_PORT: String(rtmpPort), RTMP_HOST: '127.0.0.1' }), launchChromium()]);
}, 60_000);

afterAll(async () => {
  for (const p of publishers) p.kill('SIGKILL');
  await rtsp?.stop();
  await browser?.close();
  await gw?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('stream proxies played in Chromium: a real RTMP publisher (ffmpeg) pushing into a virtual channel, a real RTSP camera pulled', () => {
  it('a wrong or missing key and an unknown channel are refused (the publisher is dropped, the cause shows PUSH_KEY_REJECTED); the right key plays in Chromium, a second publisher is refused, and the channel plays again after the publisher restarts', async () => {
    const created = await gw!.api<ProxyDto>('/api/proxies', { method: 'POST', body: JSON.stringify({ name: '无人机 push', mode: 'push' }) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const p0 = created.body;
    expect(p0).toMatchObject({ mode: 'push', url: null, state: 'idle' });
    const rtmpPort = Number(gw!.env.RTMP_PORT);
    expect(p0.publishUrl).toMatch(new RegExp(`^rtmp://127\\.0\\.0\\.1:${rtmpPort}/live/${p0.channelId}\\?key=[0-9a-f]{32}$`));
    const base = p0.publishUrl!.slice(0, p0.publishUrl!.indexOf('?'));
    // The virtual device is listed with the GB devices, its channel with theirs (channel tree, wall picker): OFF without an encoder.
    const devices = await gw!.api<Array<{ deviceId: string; name: string; online: boolean; channelCount: number }>>('/api/devices');
    expect(devices.body.find((d) => d.deviceId === p0.deviceId)).toMatchObject({ name: 'Stream proxies', online: true, channelCount: 1 });
    const channelStatus = async () => (await gw!.api<Array<{ channelId: string; status: string }>>(`/api/devices/${p0.deviceId}/channels`)).body.find((c) => c.channelId === p0.channelId)?.status;
    expect(await channelStatus()).toBe('OFF');
    const found = await gw!.api<{ total: number; items: Array<{ channelId: string; deviceId: string; name: string }> }>(`/api/channels?search=${encodeURIComponent('无人机')}`);
    expect(found.body.items).toEqual([expect.objectContaining({ channelId: p0.channelId, deviceId: p0.deviceId, name: '无人机 push' })]);

    // Refusals: ffmpeg is dropped (exits non-zero, well before its clip would end).
    for (const url of [`${base}?key=${'0'.repeat(32)}`, base, `rtmp://127.0.0.1:${rtmpPort}/live/${p0.channelId.slice(0, 14)}999999?key=x`]) {
      const bad = publish(url);
      const code = await Promise.race([bad.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 8_000))]);
      if (code === 'running') await stop(bad);
      expect(code, `${url}: ${bad.stderr()}`).not.toBe('running');
      expect(code).not.toBe(0);
    }
    expect(await proxy(p0.id)).toMatchObject({ state: 'idle', causeCode: 'PUSH_KEY_REJECTED' });
    expect((await proxy(p0.id)).cause).toMatch(/no key/);
    // No encoder: a play fails at once and says so.
    const none = await gw!.api<{ message: string }>(`/api/devices/${p0.deviceId}/channels/${p0.channelId}/play`, { method: 'POST', body: '{}' });
    expect(none.status).toBeGreaterThanOrEqual(400);
    expect(none.body.message).toMatch(/no encoder is publishing/);

    const enc = publish(p0.publishUrl!);
    const live = await waitFor('the push proxy live with its stream open', async () => {
      const r = await proxy(p0.id);
      return r.state === 'live' && r.streamId ? r : undefined;
    }, 15_000, 200).catch((e: Error) => {
      throw new Error(`${e.message}: ${enc.stderr()}`);
    });
    expect(await channelStatus()).toBe('ON');
    const second = publish(p0.publishUrl!);
    expect(await Promise.race([second.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 8_000))])).not.toBe('running');
    expect(await proxy(p0.id)).toMatchObject({ state: 'live', causeCode: 'PUSH_BUSY' });
    await playsInChromium(live);

    // The encoder stops: the proxy goes idle and says why; it publishes again: the channel plays again.
    await stop(enc);
    await waitFor('the proxy idle after its publisher left', async () => ((await proxy(p0.id)).state === 'idle' ? true : undefined), 10_000, 200);
    expect((await proxy(p0.id)).causeCode).toBe('PUSH_STOPPED');
    const again = publish(p0.publishUrl!);
    await waitFor('the proxy live again', async () => ((await proxy(p0.id)).state === 'live' ? true : undefined), 15_000, 200);
    await playsInChromium(live);

    // A new key: the publisher with the old one is dropped, and the old URL no longer publishes.
    const rotated = await gw!.api<ProxyDto>(`/api/proxies/${p0.id}`, { method: 'PATCH', body: JSON.stringify({ rotateKey: true }) });
    expect(rotated.status).toBe(200);
    expect(rotated.body.publishUrl).not.toBe(p0.publishUrl);
    await again.exited;
    expect((await gw!.api(`/api/proxies/${p0.id}`, { method: 'DELETE' })).status).toBe(204);
  }, 60_000);

  it('a push proxy takes no source URL; PATCH cannot turn a pull into push or rotate its key', async () => {
    const r = await gw!.api<{ message: string }>('/api/proxies', { method: 'POST', body: JSON.stringify({ name: 'x', mode: 'push', url: 'rtsp://192.0.2.1/live' }) });
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('url');
    const pull = await gw!.api<ProxyDto>('/api/proxies', { method: 'POST', body: JSON.stringify({ name: 'p', url: 'rtsp://192.0.2.1/live' }) });
    expect(pull.body.publishUrl).toBeNull();
    for (const body of [{ mode: 'push' }, { rotateKey: true }]) {
      const bad = await gw!.api<{ message: string }>(`/api/proxies/${pull.body.id}`, { method: 'PATCH', body: JSON.stringify(body) });
      expect(bad.status, JSON.stringify(body)).toBe(400);
    }
    expect((await gw!.api(`/api/proxies/${pull.body.id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('a camera pulled over RTSP (real RTSP server, Basic credentials) plays in Chromium', async () => {
    rtsp = new RtspTestServer({ username: 'admin', password: 'pw-ok', path: 'Streaming/Channels/101' });
    await rtsp.start();
    const created = await gw!.api<ProxyDto>('/api/proxies', { method: 'POST', body: JSON.stringify({ name: 'rtsp cam', url: rtsp.url, username: 'admin', password: 'pw-ok' }) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await playsInChromium(created.body);
    expect(await proxy(created.body.id)).toMatchObject({ state: 'live' });
    expect((await gw!.api(`/api/proxies/${created.body.id}`, { method: 'DELETE' })).status).toBe(204);
  }, 30_000);

  it('an RTSP camera pulled always: while its server is down the proxy says why, and once it is back the channel plays in Chromium again', async () => {
    const first = new RtspTestServer({ path: 'live' });
    const port = await first.start();
    let second: RtspTestServer | undefined;
    try {
      const created = await gw!.api<ProxyDto>('/api/proxies', { method: 'POST', body: JSON.stringify({ name: 'rtsp restart', url: first.url, mode: 'always' }) });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      await playsInChromium(created.body);
      await first.stop();
      const down = await waitFor('the proxy retrying with its cause', async () => {
        const p = await proxy(created.body.id);
        return p.state === 'retrying' && p.causeCode === 'CONNECTION_REFUSED' ? p : undefined;
      }, 15_000, 200);
      expect(down.cause).toMatch(/refused/i);
      // the same address again (a rebooted camera): a new RTP stream, new SSRC, sequence and timestamps
      second = new RtspTestServer({ path: 'live' });
      await second.start(port);
      await waitFor('the proxy live again', async () => ((await proxy(created.body.id)).state === 'live' ? true : undefined), 40_000, 200);
      await playsInChromium(created.body);
      expect((await gw!.api(`/api/proxies/${created.body.id}`, { method: 'DELETE' })).status).toBe(204);
    } finally {
      await first.stop();
      await second?.stop();
    }
  }, 90_000);

  it('an H.265 encoder in enhanced RTMP (hvc1) feeds the same path: HLS segments ffprobe as HEVC 640x360', async () => {
    const hevc = join(dir!, 'clip.hevc');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-t', '2', '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'keyint=25:bframes=0:repeat-headers=1:log-level=error', '-f', 'hevc', hevc]);
    const p = (await gw!.api<ProxyDto>('/api/proxies', { method: 'POST', body: JSON.stringify({ name: 'hevc drone', mode: 'push' }) })).body;
    const u = new URL(p.publishUrl!);
    const enc = new RtmpHevcPublisher(hevc);
    try {
      await enc.start(u.hostname, Number(u.port), 'live', `${p.channelId}${u.search}`);
      await waitFor('the HEVC push live', async () => ((await proxy(p.id)).state === 'live' ? true : undefined), 10_000, 200);
      const play = await gw!.api<StreamDto>(`/api/devices/${p.deviceId}/channels/${p.channelId}/play`, { method: 'POST', body: '{}' });
      expect(play.status, JSON.stringify(play.body)).toBe(200);
      const seg = await segmentFile(await waitForSegments(`${gw!.httpUrl}${play.body.urls.hls}`, 1, 15_000));
      try {
        expect(await probeVideo(seg.path)).toMatchObject({ codec: 'hevc', width: 640, height: 360 });
      } finally {
        seg.cleanup();
      }
    } finally {
      enc.stop();
    }
    expect((await gw!.api(`/api/proxies/${p.id}`, { method: 'DELETE' })).status).toBe(204);
  }, 40_000);
});
