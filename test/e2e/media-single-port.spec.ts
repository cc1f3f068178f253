import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as dgram from 'node:dgram';
import { serializeRtpPacket } from '@gb/gb28181';
import { probeVideo, requireTool, segmentFile, startMediaRig, waitForSegments, type MediaRig } from '../support/media-probe';

/** RTP_SINGLE_PORT: every stream's media on one port, told apart by the y= SSRC of its INVITE. */
describe('single-port RTP mode', () => {
  let rig: MediaRig;
  const port = 40000 + 2 * Math.floor(Math.random() * 9900);

  beforeAll(async () => {
    requireTool('ffmpeg');
    requireTool('ffprobe');
    rig = await startMediaRig({ width: 480, height: 270 }, { RTP_SINGLE_PORT: String(port) });
  });
  afterAll(async () => {
    await rig?.close();
  });

  it('two cameras (UDP and TCP passive) on one port each reach their own stream; an unknown SSRC is dropped', async () => {
    const other = await rig.addCamera({ width: 320, height: 240 });
    const a = await rig.play({ transport: 'udp' });
    const b = await other.play({ transport: 'tcp-passive' });
    expect(a.offered).toBe(`127.0.0.1:${port} (udp)`);
    expect(b.offered).toBe(`127.0.0.1:${port} (tcp-passive)`);
    expect(a.ssrc).not.toBe(b.ssrc);

    // A stranger's RTP at the shared port: no stream owns its SSRC.
    const sock = dgram.createSocket('udp4');
    for (let i = 0; i < 20; i++) {
      const pkt = serializeRtpPacket({ payloadType: 96, sequenceNumber: i, timestamp: i * 3600, ssrc: 123456789, marker: true, payload: Buffer.alloc(200, 0xab) });
      sock.send(pkt, port, '127.0.0.1');
    }
    setTimeout(() => sock.close(), 200);

    for (const [s, size] of [[a, [480, 270]], [b, [320, 240]]] as const) {
      const st = await waitForSegments(rig.url(s.urls.hls), 1, 20_000);
      const seg = await segmentFile(st);
      try {
        expect(await probeVideo(seg.path)).toMatchObject({ codec: 'h264', width: size[0], height: size[1] });
      } finally {
        seg.cleanup();
      }
    }
    const streams = await rig.streams();
    for (const s of streams) expect(s.wrongSsrc).toBe(0);
    expect(streams.find((s) => s.streamId === a.streamId)).toMatchObject({ state: 'playing', width: 480, height: 270 });
    expect(streams.find((s) => s.streamId === b.streamId)).toMatchObject({ state: 'playing', width: 320, height: 240 });
    await other.stop();
  });
});
