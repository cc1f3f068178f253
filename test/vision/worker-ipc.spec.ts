import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedVisionLink } from '../../apps/gateway/src/congestion/embedded-vision.link';
import { channelIdFor, HIGHWAY, MessageLog, requireFfmpeg, WORKER_ENTRY } from './vision-worker-harness';

let tmp: string;
const links: EmbeddedVisionLink[] = [];
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vision-ipc-'));
});
afterEach(async () => {
  await Promise.all(links.splice(0).map((l) => l.close()));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function startLink(env: Record<string, string> = {}): { link: EmbeddedVisionLink; log: MessageLog } {
  const log = new MessageLog();
  const link = new EmbeddedVisionLink({ entry: WORKER_ENTRY, env: { VISION_HEARTBEAT_MS: '300', VISION_RETRY_MS: '500', ...env }, restartMs: 300 });
  links.push(link);
  void link.start(log.push);
  return { link, log };
}

describe('embedded vision worker over IPC (forked main.ts, real model)', () => {
  it('watch of a traffic clip gives a running status, whole-frame scores about once per frame period, and a JPEG snapshot on request', async () => {
    requireFfmpeg();
    const { link, log } = startLink();
    const ch = channelIdFor(1);
    const t0 = Date.now();
    link.watch({ type: 'watch', channelId: ch, deviceId: 'dev', sourceUrl: HIGHWAY, rois: [], fps: 2 });
    await log.until('4 scores', () => log.of('score', ch).length >= 4);
    const firstScoreMs = Date.parse(new Date(log.of('score', ch)[0]!.t).toISOString()) - t0;
    expect(log.of('status', ch).map((s) => s.state)).toEqual(['starting', 'running']);
    const scores = log.of('score', ch);
    expect(scores.every((s) => s.scores.length === 1 && s.scores[0]!.roi === 'frame')).toBe(true);
    expect(scores.some((s) => s.scores[0]!.vehicles > 0)).toBe(true);
    expect(scores[3]!.t - scores[1]!.t).toBeGreaterThan(500); // paced like a camera, not decoded flat out
    link.requestSnapshot(ch, 'req-1');
    const snap = await log.until('snapshot', () => log.of('snapshot', ch).find((s) => s.requestId === 'req-1'));
    const jpeg = Buffer.from(snap.jpegBase64!, 'base64');
    expect(jpeg.subarray(0, 3).toString('hex')).toBe('ffd8ff');
    expect(log.of('heartbeat').at(-1)!.channels).toEqual([ch]);
    link.unwatch(ch);
    await log.until('stopped', () => log.of('status', ch).some((s) => s.state === 'stopped'));
    console.info(`[vision ipc] fork to first score: ${firstScoreMs} ms`);
  }, 90_000);

  it('new ROIs on a watched channel give one score per ROI, ids as given', async () => {
    requireFfmpeg();
    const { link, log } = startLink();
    const ch = channelIdFor(2);
    const base = { type: 'watch' as const, channelId: ch, deviceId: 'dev', sourceUrl: HIGHWAY, fps: 2 };
    link.watch({ ...base, rois: [] });
    await log.until('first score', () => log.of('score', ch).length >= 1);
    link.watch({ ...base, rois: [{ id: 'left', polygon: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] }, { id: 'right', polygon: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]] }] });
    const s = await log.until('a two-ROI score', () => log.of('score', ch).find((m) => m.scores.length === 2));
    expect(s.scores.map((x) => x.roi)).toEqual(['left', 'right']);
  }, 90_000);

  it('an unreadable model gives each watched channel a status error VISION_MODEL_UNREADABLE and the worker keeps heartbeating with the model error', async () => {
    const bad = join(tmp, 'garbage.onnx');
    await writeFile(bad, Buffer.from('this is not an onnx model'));
    const { link, log } = startLink({ VISION_MODEL: bad });
    const ch = channelIdFor(3);
    link.watch({ type: 'watch', channelId: ch, deviceId: 'dev', sourceUrl: HIGHWAY, rois: [], fps: 1 });
    const st = await log.until('status error', () => log.of('status', ch).find((s) => s.state === 'error'));
    expect(st.error).toMatch(/^VISION_MODEL_UNREADABLE: /);
    const beats = log.of('heartbeat').length;
    await log.until('2 more heartbeats', () => log.of('heartbeat').length >= beats + 2 && log.of('heartbeat').at(-1)!.modelError);
    expect(log.of('heartbeat').at(-1)!.modelError).toMatch(/VISION_MODEL_UNREADABLE/);
    expect(log.of('score', ch)).toEqual([]);
    expect(link.starts).toBe(1);
  }, 60_000);

  it('a source that is not video gives a decode error, a clip that ends gives VISION_SOURCE_ENDED then running again (reopened), and the worker process never restarts', async () => {
    const ffmpeg = requireFfmpeg();
    const junk = join(tmp, 'junk.mp4');
    await writeFile(junk, Buffer.alloc(64 * 1024, 0x5a));
    const short = join(tmp, 'short.mp4');
    const r = spawnSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', '-i', HIGHWAY, '-t', '2', '-c:v', 'libx264', '-preset', 'ultrafast', short]);
    expect(r.status).toBe(0);
    const { link, log } = startLink();
    const bad = channelIdFor(4);
    const ends = channelIdFor(5);
    link.watch({ type: 'watch', channelId: bad, deviceId: 'dev', sourceUrl: junk, rois: [], fps: 2 });
    link.watch({ type: 'watch', channelId: ends, deviceId: 'dev', sourceUrl: short, rois: [], fps: 2 });
    const badStatus = await log.until('decode error', () => log.of('status', bad).find((s) => s.state === 'error'));
    expect(badStatus.error).toMatch(/^VISION_DECODE_FAILED: /);
    await log.until('source ended', () => log.of('status', ends).find((s) => s.state === 'error' && /^VISION_SOURCE_ENDED/.test(s.error ?? '')));
    await log.until('running again', () => {
      const states = log.of('status', ends).map((s) => s.state);
      return states.lastIndexOf('running') > states.indexOf('error');
    });
    expect(link.starts).toBe(1);
  }, 90_000);

  it('a worker process that dies is restarted and given its channels again', async () => {
    requireFfmpeg();
    const { link, log } = startLink();
    const ch = channelIdFor(6);
    link.watch({ type: 'watch', channelId: ch, deviceId: 'dev', sourceUrl: HIGHWAY, rois: [], fps: 2 });
    await log.until('first score', () => log.of('score', ch).length >= 1);
    process.kill(link.pid!, 'SIGKILL');
    await log.until('exit reported', () => log.of('status', ch).find((s) => /VISION_WORKER_EXITED/.test(s.error ?? '')));
    const before = log.of('score', ch).length;
    await log.until('scores after restart', () => log.of('score', ch).length >= before + 2);
    expect(link.starts).toBe(2);
  }, 90_000);
});
