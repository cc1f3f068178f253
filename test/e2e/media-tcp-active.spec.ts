import { describe, it, expect, afterEach } from 'vitest';
import { expectLiveStream, requireTool, startMediaRig, type MediaRig } from '../support/media-probe';

let rig: MediaRig | undefined;
afterEach(async () => {
  const t = Date.now();
  await rig?.close();
  console.info(`[media-tcp-active] teardown ${Date.now() - t} ms`);
  rig = undefined;
});

describe('live view over TCP active (offer a=setup:active: the device listens, the gateway connects)', () => {
  it('play with transport tcp-active: the gateway connects to the port in the device answer, HLS segments ffprobe as 640x360 H.264, FLV carries a video tag', async () => {
    requireTool('ffmpeg');
    requireTool('ffprobe');
    const tStart = Date.now();
    rig = await startMediaRig({ codec: 'h264', width: 640, height: 360 });
    console.info(`[media-tcp-active] gateway + device up in ${Date.now() - tStart} ms`);
    const r = await expectLiveStream(rig, 'tcp-active', { codec: 'h264', width: 640, height: 360 }, (ok, msg) => expect(ok, msg).toBe(true));
    expect(r.dto.codec).toBe('h264');
    expect(rig.media.stats.sessions.Play).toBe(1);
    expect(r.hls.segments[0]).toMatch(/seg_\d+\.ts\?token=/);
    console.info(`[media-tcp-active] play ${r.figures.playMs} ms, first HLS segment ${r.figures.firstSegmentMs} ms, first FLV video tag ${r.figures.firstFlvVideoMs} ms`);
    expect(rig.errors).toEqual([]);
  }, 45_000);
});
