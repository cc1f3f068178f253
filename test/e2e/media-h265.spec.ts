import { describe, it, expect, afterEach } from 'vitest';
import { expectLiveStream, requireTool, startMediaRig, type MediaRig } from '../support/media-probe';

let rig: MediaRig | undefined;
afterEach(async () => {
  const t = Date.now();
  await rig?.close();
  console.info(`[media-h265] teardown ${Date.now() - t} ms`);
  rig = undefined;
});

describe('live view of an H.265 camera', () => {
  it('an H.265 stream (libx265 pattern) is remuxed to fMP4 HLS: #EXT-X-MAP init.mp4, .m4s segments that ffprobe reads as 640x360 hevc', async () => {
    requireTool('ffmpeg');
    requireTool('ffprobe');
    const tStart = Date.now();
    rig = await startMediaRig({ codec: 'h265', width: 640, height: 360 });
    console.info(`[media-h265] gateway + device up in ${Date.now() - tStart} ms`);
    const r = await expectLiveStream(rig, 'udp', { codec: 'hevc', width: 640, height: 360, flv: false }, (ok, msg) => expect(ok, msg).toBe(true));
    expect(r.dto.codec).toBe('h265');
    expect(r.hls.playlist).toMatch(/#EXT-X-MAP:URI="init\.mp4\?token=/);
    expect(r.hls.init).toMatch(/init\.mp4\?token=/);
    expect(r.hls.segments[0]).toMatch(/seg_\d+\.m4s\?token=/);
    console.info(`[media-h265] play ${r.figures.playMs} ms, first HLS segment ${r.figures.firstSegmentMs} ms`);
    expect(rig.errors).toEqual([]);
  }, 45_000);
});
