import { afterAll, describe, expect, it } from 'vitest';
import { parseSdp } from '@gb/gb28181';
import { probeVideo, requireTool, segmentFile, startMediaRig, waitForSegments, type MediaRig } from '../support/media-probe';
import type { SimInviteEvent } from '../../apps/device-sim/src';

let rig: MediaRig | undefined;
afterAll(async () => {
  await rig?.close();
});

async function probeHls(r: MediaRig, hlsUrl: string) {
  const seg = await segmentFile(await waitForSegments(r.url(hlsUrl), 1));
  try {
    return await probeVideo(seg.path);
  } finally {
    seg.cleanup();
  }
}

describe('substreams (GB/T 28181-2022 streamnumber) over UDP', () => {
  it('{stream:"sub"} offers a=streamnumber:1 and plays the half-size substream as its own stream beside the main one', async () => {
    requireTool('ffmpeg');
    requireTool('ffprobe');
    rig = await startMediaRig({ codec: 'h264', width: 640, height: 360 });
    const invites: SimInviteEvent[] = [];
    rig.media.on('invite', (e) => invites.push(e));
    const keyframeRequests: (string | undefined)[] = [];
    rig.device.on('query', (q) => q.fields?.['IFameCmd'] === 'Send' && keyframeRequests.push(q.targetId));
    const [main, sub] = await Promise.all([rig.play({}), rig.play({ stream: 'sub' })]);
    expect([main.state, sub.state]).toEqual(['playing', 'playing']);
    expect([main.stream, sub.stream]).toEqual(['main', 'sub']);
    expect(sub.streamId).toBe(`${main.streamId}_sub`);
    const [pMain, pSub] = await Promise.all([probeHls(rig, main.urls.hls), probeHls(rig, sub.urls.hls)]);
    expect([pMain.codec, pMain.width, pMain.height]).toEqual(['h264', 640, 360]);
    expect([pSub.codec, pSub.width, pSub.height]).toEqual(['h264', 320, 180]);
    // Two INVITEs: the substream's names stream 1 (2022 and 2016 lines), the main one names none.
    expect(invites.map((i) => i.streamNumber).sort()).toEqual([0, 1]);
    const subOffer = parseSdp(invites.find((i) => i.streamNumber === 1)!.offer).media[0]!;
    expect(subOffer.attributes).toEqual(expect.arrayContaining([{ name: 'streamnumber', value: '1' }, { name: 'stream', value: '1' }]));
    expect(parseSdp(invites.find((i) => i.streamNumber === 0)!.offer).media[0]!.attributes.some((a) => a.name === 'streamnumber')).toBe(false);
    // A second viewer of the substream joins it; both are listed.
    expect((await rig.play({ stream: 'sub' })).streamId).toBe(sub.streamId);
    expect((await rig.streams()).map((s) => s.streamId).sort()).toEqual([main.streamId, sub.streamId].sort());
    expect(invites).toHaveLength(2);
    // PLAY_KEYFRAME_REQUEST: each new live stream asked its channel for a keyframe once it was answered (joins did not).
    expect(keyframeRequests).toEqual([rig.channelId, rig.channelId]);
    // codec h264 (what a browser without HEVC asks) of an H.264 substream is the substream itself; a bad stream name is 400.
    expect((await rig.play({ stream: 'sub', codec: 'h264' })).streamId).toBe(sub.streamId);
    const bad = await rig.gw.api(`/api/devices/${rig.deviceId}/channels/${rig.channelId}/play`, { method: 'POST', body: JSON.stringify({ stream: 'third' }) });
    expect(bad.status).toBe(400);
    expect(rig.errors).toEqual([]);
  }, 40_000);
});
