import { describe, it, expect, afterEach } from 'vitest';
import { spawnSync } from 'node:child_process';
import { waitFor } from '../support/gateway-harness';
import { REMUX_MAX_RESTARTS } from '../../apps/gateway/src/media/restarting-remuxer';
import { parsePlaylist, probeVideo, requireTool, segmentFile, startMediaRig, waitForSegments, type HlsState, type MediaRig, type StreamDto } from '../support/media-probe';

let rig: MediaRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** HLS target segment length the gateway asks ffmpeg for (s); the simulator's GOP is 1 s (GOP = fps). */
const HLS_TIME_S = 1;
/** The successor starts at the next keyframe: the API reports the restart within this of the death. */
const RESTART_WITHIN_MS = 2000;
/**
 * Its first segment is in the playlist within this: the restart, then one segment (closed at the keyframe after the
 * target length), plus a fresh ffmpeg's start-up and the playlist read (about a second on a loaded 2-core machine).
 */
const GROWS_WITHIN_MS = RESTART_WITHIN_MS + HLS_TIME_S * 1000 + 2000;

/** PIDs of this process's ffmpeg children writing `streamId`'s playlist (the gateway runs in this process). */
function ffmpegPids(streamId: string): number[] {
  const r = spawnSync('pgrep', ['-P', String(process.pid), '-f', `/${streamId}/index.m3u8`], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

function lastSegmentNumber(st: HlsState): number {
  const m = /seg_(\d+)\.m4s/.exec(st.segments.at(-1) ?? '');
  return m ? Number(m[1]) : -1;
}

describe('a live H.265 stream whose ffmpeg dies', () => {
  it('ffmpeg killed with SIGKILL: restarted at the next keyframe, the same playlist grows again after a discontinuity, the API shows the restart and the signal', async () => {
    requireTool('ffmpeg');
    requireTool('ffprobe');
    rig = await startMediaRig({ codec: 'h265', width: 640, height: 360 });
    const playAt = Date.now();
    const dto = await rig.play({ transport: 'udp' });
    expect(dto.state).toBe('playing');
    const hlsUrl = rig.url(dto.urls.hls);
    await waitForSegments(hlsUrl, 1, 20_000);
    const firstSegmentMs = Date.now() - playAt;
    const before = await waitForSegments(hlsUrl, 2, 20_000);
    const lastBefore = lastSegmentNumber(before);

    const [pid, ...others] = ffmpegPids(dto.streamId);
    expect(pid, 'the stream has one ffmpeg child').toBeDefined();
    expect(others).toEqual([]);
    const killedAt = Date.now();
    process.kill(pid!, 'SIGKILL');

    const stream = async () => (await rig!.streams()).find((s) => s.streamId === dto.streamId);
    const restarted = await waitFor('the API to report the restart', async () => {
      const s = await stream();
      return s && s.remuxRestarts >= 1 ? s : null;
    }, 10_000, 50);
    const restartMs = Date.now() - killedAt;
    const after = await waitFor('a new segment in the same playlist', async () => {
      const r = await fetch(hlsUrl);
      if (r.status !== 200) return null;
      const st = parsePlaylist(hlsUrl, await r.text());
      return lastSegmentNumber(st) > lastBefore ? st : null;
    }, 15_000, 50);
    const growMs = Date.now() - killedAt;
    console.info(`[ffmpeg-restart] first segment ${firstSegmentMs} ms after play; restart reported ${restartMs} ms, playlist grew ${growMs} ms after SIGKILL`);

    expect(restarted).toMatchObject<Partial<StreamDto>>({ state: 'playing', remuxRestarts: 1, remuxLastExit: 'killed by SIGKILL', error: null });
    expect(restartMs).toBeLessThan(RESTART_WITHIN_MS);
    expect(growMs).toBeLessThan(GROWS_WITHIN_MS);
    const newPids = ffmpegPids(dto.streamId);
    expect(newPids).toHaveLength(1);
    expect(newPids[0]).not.toBe(pid);

    // The playlist continued: numbering on from before the death, a discontinuity where the new ffmpeg begins.
    expect(after.playlist).toMatch(/#EXT-X-DISCONTINUITY/);
    expect(lastSegmentNumber(after)).toBeGreaterThan(lastBefore);
    const seg = await segmentFile(after);
    try {
      const probe = await probeVideo(seg.path);
      expect(probe).toMatchObject({ codec: 'hevc', width: 640, height: 360 });
      expect(probe.frames).toBeGreaterThan(0);
    } finally {
      seg.cleanup();
    }
    expect((await stream())?.state).toBe('playing');
    expect(rig.errors).toEqual([]);
  }, 90_000);

  it(`ffmpeg killed ${REMUX_MAX_RESTARTS + 1} times within the restart window: the stream fails with MEDIA_REMUX_FAILED naming the signal, and no ffmpeg is left`, async () => {
    requireTool('ffmpeg');
    rig = await startMediaRig({ codec: 'h265', width: 640, height: 360 });
    const dto = await rig.play({ transport: 'udp' });
    await waitForSegments(rig.url(dto.urls.hls), 1, 20_000);
    let killed: number | undefined;
    for (let i = 0; i <= REMUX_MAX_RESTARTS; i++) {
      const pid = await waitFor(`ffmpeg #${i + 1} running`, () => ffmpegPids(dto.streamId).find((p) => p !== killed), 10_000, 50);
      process.kill(pid, 'SIGKILL');
      killed = pid;
    }
    const failed = await waitFor('the stream to fail', async () => (await rig!.streams()).find((s) => s.streamId === dto.streamId && s.state === 'failed'), 10_000, 50);
    expect(failed).toMatchObject<Partial<StreamDto>>({ errorCode: 'MEDIA_REMUX_FAILED', remuxRestarts: REMUX_MAX_RESTARTS });
    expect(failed.error).toMatch(/killed by SIGKILL/);
    expect(ffmpegPids(dto.streamId)).toEqual([]);
  }, 90_000);
});
