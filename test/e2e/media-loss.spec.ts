import { describe, it, expect, afterEach } from 'vitest';
import { waitFor } from '../support/gateway-harness';
import { probeVideo, requireTool, segmentFile, startMediaRig, waitForSegments, type MediaRig } from '../support/media-probe';

let rig: MediaRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('live view over a lossy UDP path', () => {
  it('with 5 % of RTP packets dropped and 5 % reordered (seeded), HLS segments still decode: ffprobe -count_frames exits 0 with frames > 0, and the loss is counted', async () => {
    requireTool('ffmpeg');
    requireTool('ffprobe');
    rig = await startMediaRig({ codec: 'h264', width: 640, height: 360, loss: 0.05, reorder: 0.05, seed: 28181 });
    const t0 = Date.now();
    const dto = await rig.play({ transport: 'udp' });
    expect(dto.state).toBe('playing');
    const hls = await waitForSegments(rig.url(dto.urls.hls), 3, 20_000);
    const firstSegmentMs = Date.now() - t0;
    for (const index of [-2, -1]) {
      const seg = await segmentFile(hls, index);
      try {
        const p = await probeVideo(seg.path);
        expect(p.codec).toBe('h264');
        expect(p.frames).toBeGreaterThan(0);
      } finally {
        seg.cleanup();
      }
    }
    const sim = rig.media.stats;
    expect(sim.packetsDropped).toBeGreaterThan(0);
    expect(sim.packetsReordered).toBeGreaterThan(0);
    const listed = await waitFor('packetsLost > 0 in GET /api/streams', async () => (await rig!.streams()).find((s) => s.streamId === dto.streamId && s.packetsLost > 0), 5000);
    expect(listed.state).toBe('playing');
    console.info(`[media-loss] 3 segments after ${firstSegmentMs} ms; simulator dropped ${sim.packetsDropped} and reordered ${sim.packetsReordered} of ${sim.packetsSent + sim.packetsDropped}; gateway counts ${listed.packetsLost} lost`);
  }, 55_000);
});
