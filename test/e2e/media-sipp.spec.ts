import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { describeSipp, deviceId, startSipp, stopAllSipp } from '../support/sipp';
import { e2eGatewayEnv, findDevice, sipTarget } from './e2e-fixture';
import { probeVideo, requireTool, rtpRangeEnv, segmentFile, waitForSegments, type StreamDto } from '../support/media-probe';
import { MediaSource } from '../../apps/device-sim/src/media/media-source';
import { PsRtpSender } from '../../apps/device-sim/src/media/ps-rtp.sender';

/**
 * A real sipp device does the signalling (REGISTER with digest, INVITE answered with its own SDP, ACK, BYE) and the
 * simulator's PS/RTP sender plays the camera's media to the address the gateway offered.
 */
describe.each([
  ['udp', 'RTP/AVP'],
  ['tcp-passive', 'TCP/RTP/AVP'],
] as const)('live video from a sipp device over %s', (transport, proto) => {
  let gw: TestGateway;
  let source: MediaSource | undefined;
  let sender: PsRtpSender | undefined;

  beforeAll(async () => {
    requireTool('ffmpeg');
    requireTool('ffprobe');
    gw = await startTestGateway(e2eGatewayEnv({ ...rtpRangeEnv(), KEEPALIVE_INTERVAL_S: '5', STREAM_IDLE_TIMEOUT_MS: '4000' }));
  });
  afterEach(async () => {
    source?.stop();
    sender?.close();
    await stopAllSipp();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('play -> INVITE answered by sipp -> PS/RTP -> HLS that ffprobe reads as H.264 at the source size; BYE to sipp when no one watches', async () => {
    const id = deviceId(transport === 'udp' ? 41 : 42);
    const channel = id; // an IPC is its own channel
    const device = await startSipp({
      scenario: 'device-lifecycle',
      ooc: 'media-answers',
      target: sipTarget(gw),
      transport: 'udp',
      devices: [{ id, password: '12345678' }],
      keys: { media_proto: proto },
      args: ['-d', '2000'],
    });
    await waitFor('sipp device online', async () => (await findDevice(gw, id))?.online, 15_000).catch(async (e) => {
      throw new Error(`${(e as Error).message}\n${describeSipp(await device.stop())}`);
    });

    const play = gw.api<StreamDto>(`/api/devices/${id}/channels/${channel}/play`, { method: 'POST', body: JSON.stringify({ transport }) });
    // The gateway lists the stream while it waits for media: what it offered is what the camera must send to.
    const pending = await waitFor('stream waiting for media', async () => {
      const r = await gw.api<StreamDto[]>('/api/streams');
      return r.body.find((s) => s.deviceId === id && s.state === 'waiting-media');
    }, 10_000);
    const m = /^([\d.]+):(\d+) \((udp|tcp-passive)\)$/.exec(pending.offered);
    expect(m, pending.offered).not.toBeNull();
    sender = new PsRtpSender({
      transport: transport === 'udp' ? 'udp' : 'tcp',
      remoteHost: m![1]!,
      remotePort: Number(m![2]),
      localHost: '127.0.0.1',
      ssrc: Number(pending.ssrc),
    });
    await sender.bind();
    await sender.connect();
    source = new MediaSource({ width: 480, height: 270, fps: 25, gop: 25 });
    source.on('unit', (u) => sender!.send(u));
    source.start();

    const res = await play;
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ state: 'playing', codec: 'h264', width: 480, height: 270, transport });
    const st = await waitForSegments(`${gw.httpUrl}${res.body.urls.hls}`, 1, 20_000);
    const seg = await segmentFile(st);
    try {
      const probe = await probeVideo(seg.path);
      expect(probe).toMatchObject({ codec: 'h264', width: 480, height: 270 });
    } finally {
      seg.cleanup();
    }

    // Nobody fetches anything any more: after STREAM_IDLE_TIMEOUT_MS the gateway hangs up on sipp.
    source.stop();
    await waitFor('stream torn down', async () => !(await gw.api<StreamDto[]>('/api/streams')).body.some((s) => s.streamId === res.body.streamId), 20_000);
    const r = await device.stop();
    // The out-of-call scenario's messages are not in the main scenario's counters: read sipp's message trace.
    const received = (method: string) => (r.messages.match(new RegExp(`^${method} sip:\\S+ SIP/2\\.0`, 'gm')) ?? []).length;
    expect(received('INVITE'), describeSipp(r)).toBe(1);
    expect(received('ACK')).toBe(1);
    expect(received('BYE')).toBe(1);
    expect(r.messages).toMatch(/^s=Play\r?$/m);
    expect(r.messages).toMatch(new RegExp(`^y=${pending.ssrc}\\r?$`, 'm'));
  });
});
