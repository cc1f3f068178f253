import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFlvHead, requireTool, startMediaRig, type MediaRig, type StreamDto } from '../support/media-probe';

/**
 * A camera whose AAC audio starts after its video and is not named in its PSM (some cameras list only the streams they
 * send at the moment): a browser cannot add a track to a playing stream, so the first stream stays video-only and the
 * units are counted; the gateway remembers the channel and its next stream carries the AAC track from the first keyframe.
 */
let rig: MediaRig;

beforeAll(async () => {
  requireTool('ffmpeg');
  rig = await startMediaRig({ codec: 'h264', width: 320, height: 180, audio: 'aac', audioDelayS: 1, audioUndeclared: true });
}, 60_000);
afterAll(async () => {
  await rig?.close();
});

async function streamOf(id: string): Promise<StreamDto> {
  return (await rig.streams()).find((s) => s.streamId === id)!;
}

describe('undeclared late audio (issue 12 item 4)', () => {
  it('the first stream is video-only and counts the left-out units; after a stop the next stream of the channel carries AAC in FLV', async () => {
    const first = await rig.play({ transport: 'udp' });
    const head = await readFlvHead(rig.url(first.urls.flv));
    expect(head.bytes[4], 'FLV flags of the first stream: video only').toBe(0x01);
    const end = Date.now() + 20_000;
    let s = await streamOf(first.streamId);
    while ((s.audioUndeclaredUnits ?? 0) < 10 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 200));
      s = await streamOf(first.streamId);
    }
    expect(s.audioTrack).toBe(false);
    expect(s.audioUndeclaredUnits, JSON.stringify(s)).toBeGreaterThanOrEqual(10);

    expect((await rig.gw.api(`/api/streams/${first.streamId}`, { method: 'DELETE' })).status).toBe(204);
    const second = await rig.play({ transport: 'udp' });
    const head2 = await readFlvHead(rig.url(second.urls.flv));
    expect(head2.bytes[4], 'FLV flags of the next stream: audio + video').toBe(0x05);
    const again = await streamOf(second.streamId);
    expect(again.audioTrack).toBe(true);
  }, 60_000);
});
