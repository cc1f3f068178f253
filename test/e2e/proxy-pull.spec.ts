import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { probeVideo, requireTool, rtpRangeEnv, segmentFile, waitForSegments, type StreamDto } from '../support/media-probe';
import { RtspTestServer } from '../support/rtsp-test-server';
import { freePort } from '../support/sipp';

interface ProxyDto {
  id: string;
  deviceId: string;
  channelId: string;
  state: string;
  causeCode: string | null;
  cause: string | null;
  hasPassword: boolean;
  streamId: string | null;
}

let gw: TestGateway | undefined;
let source: ChildProcess | undefined;
let rtsp: RtspTestServer | undefined;

/** A real RTMP server that plays a 640x360 H.264 test pattern to the one client that connects (ffmpeg -listen 1). */
function startRtmpSource(port: number): ChildProcess {
  const p = spawn('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25', '-pix_fmt', 'yuv420p',
    '-f', 'flv', '-listen', '1', `rtmp://127.0.0.1:${port}/live/cam`,
  ], { stdio: 'ignore' });
  return p;
}

async function stopSource(): Promise<void> {
  const p = source;
  source = undefined;
  if (!p || p.exitCode !== null) return;
  const closed = new Promise((r) => p.once('close', r));
  p.kill('SIGKILL');
  await closed;
}

/**
 * ffmpeg -listen takes a moment to listen (longer on a loaded machine); a probe would take its one client, so the play
 * is asked again while the source refuses (each refused try fails at once with CONNECTION_REFUSED). Any other failure
 * fails the test at once.
 */
async function playOnceListening(deviceId: string, channelId: string) {
  return waitFor('the proxy playing once its source listens', async () => {
    const r = await gw!.api<StreamDto>(`/api/devices/${deviceId}/channels/${channelId}/play`, { method: 'POST', body: '{}' });
    if (r.status !== 200 && !JSON.stringify(r.body).includes('CONNECTION_REFUSED')) throw new Error(`play: ${r.status} ${JSON.stringify(r.body)}`);
    return r.status === 200 && r;
  }, 15_000, 300);
}

beforeAll(async () => {
  requireTool('ffmpeg');
  requireTool('ffprobe');
  gw = await startTestGateway(rtpRangeEnv());
}, 60_000);

afterAll(async () => {
  await stopSource();
  await rtsp?.stop();
  await gw?.stop();
});

describe('stream proxy: pulling real RTSP and RTMP sources into virtual channels', () => {
  it('RTSP with Basic credentials, mode always: the stream opens with no viewer, plays 640x360 H.264; a wrong password shows AUTH_FAILED', async () => {
    rtsp = new RtspTestServer({ username: 'admin', password: 'pw-ok', path: 'Streaming/Channels/101' });
    await rtsp.start();
    const created = await gw!.api<ProxyDto>('/api/proxies', {
      method: 'POST', body: JSON.stringify({ name: 'rtsp cam', url: rtsp.url, mode: 'always', username: 'admin', password: 'pw-ok' }),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { id, deviceId, channelId } = created.body;
    let last: unknown;
    const held = await waitFor('the always-on proxy live with its stream open', async () => {
      const r = (last = (await gw!.api<ProxyDto>(`/api/proxies/${id}`)).body);
      return r.state === 'live' && r.streamId ? r : undefined;
    }, 15_000, 200).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(last)}`);
    });
    const play = await playOnceListening(deviceId, channelId);
    expect(play.body.streamId).toBe(held.streamId);
    const seg = await segmentFile(await waitForSegments(`${gw!.httpUrl}${play.body.urls.hls}`, 1, 15_000));
    try {
      expect(await probeVideo(seg.path)).toMatchObject({ codec: 'h264', width: 640, height: 360 });
    } finally {
      seg.cleanup();
    }

    const patched = await gw!.api<ProxyDto>(`/api/proxies/${id}`, { method: 'PATCH', body: JSON.stringify({ password: 'pw-wrong', mode: 'on-demand' }) });
    expect(patched.status).toBe(200);
    const bad = await gw!.api<{ message: string }>(`/api/devices/${deviceId}/channels/${channelId}/play`, { method: 'POST', body: '{}' });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.body.message).toMatch(/AUTH_FAILED.*401 Unauthorized/);
    expect(bad.body.message).not.toContain('pw-wrong');
    expect((await gw!.api<ProxyDto>(`/api/proxies/${id}`)).body).toMatchObject({ state: 'failed', causeCode: 'AUTH_FAILED' });
    expect((await gw!.api(`/api/proxies/${id}`, { method: 'DELETE' })).status).toBe(204);
    await rtsp.stop();
    rtsp = undefined;
  }, 40_000);

  it('hostile or unsupported input is refused with 400 naming the field', async () => {
    const post = (body: unknown) => gw!.api<{ code: string; message: string }>('/api/proxies', { method: 'POST', body: JSON.stringify(body) });
    for (const [body, field] of [
      [{ name: 'x', url: 'file:///etc/passwd' }, 'url'],
      [{ name: 'x', url: 'rtsp://admin:pw@192.0.2.1/live' }, 'url'],
      [{ name: 'x', url: `rtsp://192.0.2.1/${'a'.repeat(5000)}` }, 'url'],
      [{ name: 'x', url: 'http://192.0.2.1/index.html' }, 'url'],
      [{ name: 'x', url: 'rtsp://192.0.2.1/a\r\nb' }, 'url'],
      [{ name: 'n'.repeat(65), url: 'rtsp://192.0.2.1/live' }, 'name'],
      [{ name: 'x', url: 'rtsp://192.0.2.1/live', mode: 'sometimes' }, 'mode'],
      [{ name: 'x', url: 'rtsp://192.0.2.1/live', password: 'p\u0000w' }, 'password'],
    ] as const) {
      const r = await post(body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(r.body.message).toContain(field);
    }
  });

  it('plays (HLS segments ffprobe as H.264 640x360), comes back after the source restarts, shows the cause for a wrong URL', async () => {
    const port = await freePort();
    source = startRtmpSource(port);
    const created = await gw!.api<ProxyDto>('/api/proxies', {
      method: 'POST', body: JSON.stringify({ name: 'RTMP 测试', url: `rtmp://127.0.0.1:${port}/live/cam`, mode: 'on-demand', username: 'u', password: 'secret-pw' }),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ state: 'idle', hasPassword: true });
    expect(JSON.stringify(created.body)).not.toContain('secret-pw');
    const { deviceId, channelId, id } = created.body;
    expect(deviceId).toBe(`${gw!.config.SIP_ID.slice(0, 10)}1189000000`);
    expect(channelId).toMatch(new RegExp(`^${gw!.config.SIP_ID.slice(0, 10)}1319\\d{6}$`));

    const play = await playOnceListening(deviceId, channelId);
    const hls = `${gw!.httpUrl}${play.body.urls.hls}`;
    const st = await waitForSegments(hls, 1, 15_000);
    const seg = await segmentFile(st);
    try {
      const p = await probeVideo(seg.path);
      expect(p).toMatchObject({ codec: 'h264', width: 640, height: 360 });
      expect(p.frames).toBeGreaterThan(0);
    } finally {
      seg.cleanup();
    }
    expect((await gw!.api<ProxyDto>(`/api/proxies/${id}`)).body).toMatchObject({ state: 'live', streamId: play.body.streamId });
    // A source without audio: video only, as before (the pull's audio output fails alone), no AAC track.
    expect((await gw!.api<StreamDto[]>('/api/streams')).body.find((x) => x.streamId === play.body.streamId)).toMatchObject({ audioTrack: false, audioCodec: null });

    // The source goes away: the proxy retries and says why; the source comes back: the same stream plays on.
    await stopSource();
    const retrying = await waitFor('the proxy retrying', async () => {
      const r = await gw!.api<ProxyDto>(`/api/proxies/${id}`);
      return r.body.state === 'retrying' && r.body.causeCode === 'CONNECTION_REFUSED' && r.body;
    }, 10_000, 200);
    expect(retrying.cause).toMatch(/refused/i);
    const before = (await waitForSegments(hls, 1)).segments.at(-1);
    source = startRtmpSource(port);
    await waitFor('the proxy live again', async () => (await gw!.api<ProxyDto>(`/api/proxies/${id}`)).body.state === 'live', 15_000, 200);
    const after = await waitFor('a new HLS segment after the restart', async () => {
      await fetch(hls); // a viewer's fetch keeps the stream from the idle sweep
      const s = await waitForSegments(hls, 1);
      return s.segments.at(-1) !== before && s;
    }, 15_000, 300);
    const seg2 = await segmentFile(after);
    try {
      expect(await probeVideo(seg2.path)).toMatchObject({ codec: 'h264', width: 640, height: 360 });
    } finally {
      seg2.cleanup();
    }

    // Every channel route works on the proxy's channel: a snapshot, a congestion watch and a record plan found by the
    // channel ID alone (no catalog row: the virtual device is found through the proxies).
    const snap = await fetch(`${gw!.httpUrl}/api/devices/${deviceId}/channels/${channelId}/snapshot`, { headers: await gw!.auth() });
    expect(snap.status).toBe(200);
    expect(snap.headers.get('content-type')).toMatch(/image\/jpeg/);
    expect((await snap.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    const watch = await gw!.api<{ channelId: string; deviceId: string }>(`/api/channels/${channelId}/watch`, { method: 'POST', body: '{}' });
    expect(watch.status, JSON.stringify(watch.body)).toBeLessThan(300);
    expect(watch.body).toMatchObject({ channelId, deviceId });
    expect((await gw!.api(`/api/channels/${channelId}/watch`, { method: 'DELETE' })).status).toBeLessThan(300);
    const plan = await gw!.api<{ deviceId: string }>(`/api/channels/${channelId}/record-plan`, { method: 'PUT', body: JSON.stringify({ mode: 'always', enabled: false }) });
    expect(plan.status, JSON.stringify(plan.body)).toBe(200);
    expect(plan.body.deviceId).toBe(deviceId);
    expect((await gw!.api(`/api/channels/${channelId}/record-plan`, { method: 'DELETE' })).status).toBe(204);
    expect((await gw!.api(`/api/channels/${gw!.config.SIP_ID.slice(0, 10)}1319999999/watch`, { method: 'POST', body: '{}' })).status).toBe(404);

    // A wrong URL (nothing listens): the play fails with the cause, and the proxy shows it.
    const deadPort = await freePort();
    const wrong = await gw!.api<ProxyDto>('/api/proxies', { method: 'POST', body: JSON.stringify({ name: 'wrong', url: `rtmp://127.0.0.1:${deadPort}/live/none` }) });
    expect(wrong.status).toBe(201);
    const bad = await gw!.api<{ code: string; message: string }>(`/api/devices/${deviceId}/channels/${wrong.body.channelId}/play`, { method: 'POST', body: '{}' });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.body.message).toMatch(/CONNECTION_REFUSED/);
    expect((await gw!.api<ProxyDto>(`/api/proxies/${wrong.body.id}`)).body).toMatchObject({ state: 'failed', causeCode: 'CONNECTION_REFUSED' });

    // DELETE ends the stream; the listing no longer has it.
    expect((await gw!.api(`/api/proxies/${id}`, { method: 'DELETE' })).status).toBe(204);
    await waitFor('the proxied stream closed', async () => !(await gw!.api<StreamDto[]>('/api/streams')).body.some((s) => s.streamId === play.body.streamId && ['playing', 'receiving'].includes(s.state)), 5_000);
    expect((await gw!.api<ProxyDto[]>('/api/proxies')).body.map((p) => p.id)).not.toContain(id);
  }, 55_000);
});
