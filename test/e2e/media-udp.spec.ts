import { describe, it, expect, afterEach } from 'vitest';
import { expectLiveStream, requireTool, startMediaRig, type MediaRig } from '../support/media-probe';

let rig: MediaRig | undefined;
afterEach(async () => {
  const t = Date.now();
  await rig?.close();
  console.info(`[media-udp] teardown ${Date.now() - t} ms`);
  rig = undefined;
});

describe('live view over UDP (GB28181 INVITE -> RTP/PS -> HLS + FLV)', () => {
  it('play with transport udp yields HLS segments ffprobe reads as 640x360 H.264 and an FLV stream with a video tag', async () => {
    requireTool('ffmpeg');
    requireTool('ffprobe');
    const tStart = Date.now();
    rig = await startMediaRig({ codec: 'h264', width: 640, height: 360 });
    console.info(`[media-udp] gateway + device up in ${Date.now() - tStart} ms`);
    const r = await expectLiveStream(rig, 'udp', { codec: 'h264', width: 640, height: 360 }, (ok, msg) => expect(ok, msg).toBe(true));
    expect(r.dto.codec).toBe('h264');
    expect([r.dto.width, r.dto.height]).toEqual([640, 360]);
    expect(rig.media.stats.sessions.Play).toBe(1);
    expect(r.hls.playlist).toContain('#EXTM3U');
    expect(r.hls.segments[0]).toMatch(/seg_\d+\.ts\?token=/);
    console.info(`[media-udp] play ${r.figures.playMs} ms, first HLS segment ${r.figures.firstSegmentMs} ms, first FLV video tag ${r.figures.firstFlvVideoMs} ms`);
    expect(rig.errors).toEqual([]);
  }, 45_000);
});
