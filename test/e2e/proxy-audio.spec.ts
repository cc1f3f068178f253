import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { audioRms, fetchBytes, readFor, requireTool, rtpRangeEnv, waitForSegments, type StreamDto } from '../support/media-probe';
import { RtspTestServer } from '../support/rtsp-test-server';
import { freePort } from '../support/sipp';

interface ProxyDto {
  id: string;
  deviceId: string;
  channelId: string;
  state: string;
  publishUrl: string | null;
}

let gw: TestGateway | undefined;
let rtsp: RtspTestServer | undefined;
const children = new Set<ChildProcess>();

/** ffmpeg sending 640x360 H.264 and a 440 Hz tone in real time as FLV over RTMP: `listen` makes it the server. */
function rtmpFfmpeg(url: string, audio: string[], listen: boolean): ChildProcess {
  const p = spawn('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-map', '0:v', '-map', '1:a', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25', '-pix_fmt', 'yuv420p', ...audio,
    '-f', 'flv', ...(listen ? ['-listen', '1'] : []), url,
  ], { stdio: 'ignore' });
  children.add(p);
  p.once('close', () => children.delete(p));
  return p;
}

/**
 * Plays the channel, waits for its stream to report whether it has an AAC track, and decodes 3 s of its HTTP-FLV: RMS
 * per 100 ms (~28 windows); with `hls`, also the segments of its HLS playlist (MPEG-TS) once it lists two.
 */
async function tone(p: ProxyDto, hls = false): Promise<{ stream: StreamDto; rms: number[]; hlsRms: number[] }> {
  // a source started with ffmpeg -listen may not listen yet on a loaded machine: a refused play is asked again
  const play = await waitFor('the proxy playing once its source listens', async () => {
    const r = await gw!.api<StreamDto>(`/api/devices/${p.deviceId}/channels/${p.channelId}/play`, { method: 'POST', body: '{}' });
    if (r.status !== 200 && !JSON.stringify(r.body).includes('CONNECTION_REFUSED')) throw new Error(`play: ${r.status} ${JSON.stringify(r.body)}`);
    return r.status === 200 && r;
  }, 15_000, 300);
  const stream = await waitFor('the stream in /api/streams with its audio decided', async () => {
    const s = (await gw!.api<StreamDto[]>('/api/streams')).body.find((x) => x.streamId === play.body.streamId);
    // audioCodec is the camera's, set by its first audio unit (the track is decided at the first keyframe from the PSM)
    return s?.audioTrack !== undefined && s.codec && s.audioCodec ? s : undefined;
  }, 10_000, 200);
  const bytes = await readFor(`${gw!.httpUrl}${play.body.urls.flv}`, 3000);
  let hlsRms: number[] = [];
  if (hls) {
    const st = await waitForSegments(`${gw!.httpUrl}${play.body.urls.hls}`, 2, 15_000);
    hlsRms = audioRms(Buffer.concat(await Promise.all(st.segments.map(fetchBytes))), 'mpegts');
  }
  return { stream, rms: audioRms(bytes, 'flv'), hlsRms };
}

beforeAll(async () => {
  requireTool('ffmpeg');
  gw = await startTestGateway({ ...rtpRangeEnv(), RTMP_PORT: String(await freePort()), RTMP_HOST: '127.0.0.1' });
}, 60_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await rtsp?.stop();
  await gw?.stop();
});

describe('stream proxy audio: a pulled source and a pushing encoder with a 440 Hz tone reach HTTP-FLV as AAC', () => {
  it('pulled sources: RTSP with a G.711 A-law track and RTMP with AAC 44.1 kHz stereo: each stream has its AAC track, its FLV (and the RTSP one\'s HLS) decodes the tone', async () => {
    rtsp = new RtspTestServer({ audio: 'pcma' });
    await rtsp.start();
    const port = await freePort();
    rtmpFfmpeg(`rtmp://127.0.0.1:${port}/live/cam`, ['-c:a', 'aac', '-ar', '44100', '-ac', '2'], true);
    for (const [name, url] of [['rtsp pcma', rtsp.url], ['rtmp aac', `rtmp://127.0.0.1:${port}/live/cam`]] as const) {
      const created = await gw!.api<ProxyDto>('/api/proxies', { method: 'POST', body: JSON.stringify({ name, url }) });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const { stream, rms, hlsRms } = await tone(created.body, name === 'rtsp pcma');
      expect(stream, `${name}: ${JSON.stringify(stream)}`).toMatchObject({ codec: 'h264', audioTrack: true, audioCodec: 'aac' });
      expect(rms.filter((r) => r > 1000).length, `${name}: RMS per 100 ms: ${rms.join(',')}`).toBeGreaterThanOrEqual(15);
      if (name === 'rtsp pcma') expect(hlsRms.filter((r) => r > 1000).length, `${name}: HLS RMS per 100 ms: ${hlsRms.join(',')}`).toBeGreaterThanOrEqual(10);
      expect((await gw!.api(`/api/proxies/${created.body.id}`, { method: 'DELETE' })).status).toBe(204);
    }
  }, 40_000);

  it('an RTMP encoder pushing AAC and one pushing G.711 A-law: both streams have the AAC track and their FLV decodes the tone', async () => {
    for (const [name, audio] of [['aac push', ['-c:a', 'aac', '-ar', '44100', '-ac', '2']], ['pcma push', ['-c:a', 'pcm_alaw', '-ar', '8000', '-ac', '1']]] as const) {
      const created = await gw!.api<ProxyDto>('/api/proxies', { method: 'POST', body: JSON.stringify({ name, mode: 'push' }) });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const enc = rtmpFfmpeg(created.body.publishUrl!, [...audio], false);
      await waitFor(`${name}: the proxy live`, async () => (await gw!.api<ProxyDto>(`/api/proxies/${created.body.id}`)).body.state === 'live', 10_000, 200);
      const { stream, rms } = await tone(created.body);
      expect(stream, name).toMatchObject({ codec: 'h264', audioTrack: true });
      expect(rms.filter((r) => r > 1000).length, `${name}: RMS per 100 ms: ${rms.join(',')}`).toBeGreaterThanOrEqual(15);
      enc.kill('SIGKILL');
      expect((await gw!.api(`/api/proxies/${created.body.id}`, { method: 'DELETE' })).status).toBe(204);
    }
  }, 40_000);
});
