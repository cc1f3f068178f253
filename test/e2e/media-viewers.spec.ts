import { describe, it, expect, afterEach } from 'vitest';
import { waitFor } from '../support/gateway-harness';
import { requireTool, startMediaRig, type MediaRig } from '../support/media-probe';

let rig: MediaRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const IDLE_MS = 3000;

describe('live stream sharing and idle teardown', () => {
  it('a second play of the same channel joins the running stream (same streamId, one INVITE); with no viewer for STREAM_IDLE_TIMEOUT_MS the device gets a BYE and the stream is no longer listed', async () => {
    requireTool('ffmpeg');
    rig = await startMediaRig({ codec: 'h264', width: 320, height: 180 }, { STREAM_IDLE_TIMEOUT_MS: String(IDLE_MS) });
    const [a, b] = await Promise.all([rig.play({ transport: 'udp' }), rig.play({ transport: 'udp' })]);
    const c = await rig.play({ transport: 'udp' });
    expect(a.state).toBe('playing');
    expect(b.streamId).toBe(a.streamId);
    expect(c.streamId).toBe(a.streamId);
    expect(rig.media.stats.invites).toBe(1);
    expect((await rig.streams()).map((s) => s.streamId)).toEqual([a.streamId]);

    const lastViewAt = Date.now();
    const bye = new Promise<number>((resolve) => rig!.media.once('bye', () => resolve(Date.now())));
    const byeAt = await Promise.race([bye, new Promise<number>((r) => setTimeout(() => r(-1), IDLE_MS + 6000))]);
    expect(byeAt, 'the simulator never received a BYE').toBeGreaterThan(0);
    expect(byeAt - lastViewAt).toBeGreaterThanOrEqual(IDLE_MS - 200);
    expect(rig.media.stats.byes).toBe(1);
    expect(rig.media.stats.active).toBe(0);
    await waitFor('the stream gone from GET /api/streams', async () => (await rig!.streams()).every((s) => s.streamId !== a.streamId), 3000);
    console.info(`[media-viewers] idle teardown: BYE ${byeAt - lastViewAt} ms after the last play (STREAM_IDLE_TIMEOUT_MS=${IDLE_MS})`);
  }, 45_000);
});
