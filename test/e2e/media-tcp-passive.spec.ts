import { describe, it, expect, afterEach } from 'vitest';
import { expectLiveStream, requireTool, startMediaRig, type MediaRig } from '../support/media-probe';

let rig: MediaRig | undefined;
afterEach(async () => {
  const t = Date.now();
  await rig?.close();
  console.info(`[media-tcp-passive] teardown ${Date.now() - t} ms`);
  rig = undefined;
});

describe('live view over TCP passive (device connects, RFC 4571 framing)', () => {
  it('play with transport tcp-passive: the device connects to the offered port, HLS segments ffprobe as 640x360 H.264, FLV carries a video tag', async () => {
    requireTool('ffmpeg');
    requireTool('ffprobe');
    const tStart = Date.now();
    rig = await startMediaRig({ codec: 'h264', width: 640, height: 360 });
    console.info(`[media-tcp-passive] gateway + device up in ${Date.now() - tStart} ms`);
    const r = await expectLiveStream(rig, 'tcp-passive', { codec: 'h264', width: 640, height: 360 }, (ok, msg) => expect(ok, msg).toBe(true));
    expect(r.dto.codec).toBe('h264');
    expect(r.dto.source).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(rig.media.stats.sessions.Play).toBe(1);
    expect(r.hls.segments[0]).toMatch(/seg_\d+\.ts\?token=/);
    console.info(`[media-tcp-passive] play ${r.figures.playMs} ms, first HLS segment ${r.figures.firstSegmentMs} ms, first FLV video tag ${r.figures.firstFlvVideoMs} ms`);
    expect(rig.errors).toEqual([]);
  }, 45_000);
});
