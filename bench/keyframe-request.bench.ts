// Does DeviceControl IFameCmd right after a new live stream's ACK shorten its first frame? Play -> API answer (the
// gateway answers once the first keyframe is in) with and without it, against cameras that are already encoding
// (random GOP phase) and honour IFameCmd.
import type { BenchResult } from './bench-result';
import { startBuiltGateway, type BuiltGateway } from './support/built-gateway';
import { percentile } from './support/first-frame';
import { CAMERA_CLIP, loadH264Clip } from './support/h264-clip';
import { loadAverage } from './support/proc-stats';
import { PsRtpClip } from './support/ps-rtp-clip';
import { startReplayCameras, type ReplayCameras } from './support/replay-cameras';
import { RtpReplayer } from './support/rtp-replayer';
import { waitFor } from './support/poll';

const GROUP = 'keyframe request on play';
const RUNS = Number(process.env.BENCH_KEYFRAME_RUNS ?? 12);

/**
 * A replay camera (720p clip, 1 s GOP, started at a random frame) that honours IFameCmd by sending a keyframe next.
 * Each run plays over UDP; with the request, the bench sends POST /control {command:"keyframe"} the moment the camera
 * saw the ACK (what the gateway would do itself), then waits for the play answer, then stops the stream.
 */
export async function run(): Promise<BenchResult[]> {
  const clip = new PsRtpClip(loadH264Clip(CAMERA_CLIP));
  const gopMs = (clip.clip.gopFrames / clip.fps) * 1000;
  const replayer = new RtpReplayer(clip);
  let gw: BuiltGateway | undefined;
  let cameras: ReplayCameras | undefined;
  const load0 = loadAverage();
  try {
    gw = await startBuiltGateway({ rtpPorts: 100 });
    cameras = await startReplayCameras(replayer, { sipHost: '127.0.0.1', sipPort: gw.sipPort, channels: 1, honourKeyframeRequests: true });
    const cam = cameras.cameras[0]!;
    if (!(await waitFor(async () => (await gw!.api<{ online: boolean }>('GET', `/api/devices/${cam.deviceId}`)).online, 15_000, 5))) throw new Error('camera not online');
    const without: number[] = [];
    const withRequest: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      without.push(await playOnce(gw, cameras, cam, false));
      withRequest.push(await playOnce(gw, cameras, cam, true));
    }
    const note = `${RUNS} runs each, interleaved; GOP ${Math.round(gopMs)} ms, random phase; camera honours IFameCmd`;
    return [
      { group: GROUP, name: 'play -> API answer, no IFameCmd, p50', value: Math.round(percentile(without, 50)), unit: 'ms', better: 'lower', note: `${note}; p95 ${Math.round(percentile(without, 95))} ms` },
      { group: GROUP, name: 'play -> API answer, IFameCmd at the ACK, p50', value: Math.round(percentile(withRequest, 50)), unit: 'ms', better: 'lower', note: `p95 ${Math.round(percentile(withRequest, 95))} ms` },
      { group: GROUP, name: 'load average during the bench (1/5/15 min)', value: Number(loadAverage().split(' ')[0]), unit: 'load', note: `before ${load0}, after ${loadAverage()}` },
    ];
  } finally {
    replayer.close();
    await cameras?.stop();
    await gw?.stop();
  }
}

async function playOnce(gw: BuiltGateway, cameras: ReplayCameras, cam: { deviceId: string; channelId: string }, request: boolean): Promise<number> {
  const t0 = performance.now();
  const play = gw.api<{ streamId: string }>('POST', `/api/devices/${cam.deviceId}/channels/${cam.channelId}/play`, { transport: 'udp' });
  if (request) {
    await waitFor(() => (cameras.ackAt(cam.channelId) ?? 0) >= t0 && cameras.sending > 0, 5000, 5);
    await gw.api('POST', `/api/devices/${cam.deviceId}/control`, { command: 'keyframe', channelId: cam.channelId });
  }
  const dto = await play;
  const ms = performance.now() - t0;
  await gw.api('DELETE', `/api/streams/${dto.streamId}`);
  await waitFor(() => cameras.sending === 0, 3000, 5);
  return ms;
}

