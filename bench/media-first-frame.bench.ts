// Time to first frame: from the play request to the first HTTP-FLV picture and to the first HLS segment, UDP and TCP passive.
import type { BenchResult } from './bench-result';
import { startBuiltGateway, type BuiltGateway } from './support/built-gateway';
import { firstFlvPicture, firstHlsSegment, percentile } from './support/first-frame';
import { CAMERA_CLIP, loadH264Clip } from './support/h264-clip';
import { loadAverage } from './support/proc-stats';
import { PsRtpClip } from './support/ps-rtp-clip';
import { startReplayCameras, type ReplayCameras } from './support/replay-cameras';
import { RtpReplayer } from './support/rtp-replayer';
import { waitFor } from './support/poll';

const GROUP = 'media first frame';
const RUNS = Number(process.env.BENCH_FIRST_FRAME_RUNS ?? 20);
const TRANSPORTS = ['udp', 'tcp-passive'] as const;
const FLV_TARGET_MS = 1000;
const HLS_TARGET_MS = 2500;

interface PlayDto {
  streamId: string;
  urls: { hls: string; flv: string };
}

interface Run {
  /** Play request -> 200 OK of the API (the gateway answers once the first keyframe arrived and ffmpeg started). */
  play: number;
  /** Play request -> ACK seen by the camera (INVITE round trip). */
  ack: number;
  flv: number;
  hls: number;
  flvHeaderMissing: boolean;
}

/**
 * A simulated camera replays a 720p 2 Mb/s clip with a 1 s GOP from a random frame (a camera that is already encoding
 * when the INVITE arrives), so the gateway waits 0–1 s for a keyframe, as in the field. Each run plays, opens the FLV URL
 * and polls the HLS playlist at once (as a player does with the play answer), then stops the stream.
 */
export async function run(): Promise<BenchResult[]> {
  const clip = new PsRtpClip(loadH264Clip(CAMERA_CLIP));
  clip.selfCheck();
  const gopS = clip.clip.gopFrames / clip.fps;
  const replayer = new RtpReplayer(clip);
  let gw: BuiltGateway | undefined;
  let cameras: ReplayCameras | undefined;
  const load0 = loadAverage();
  try {
    gw = await startBuiltGateway({ rtpPorts: 100 });
    cameras = await startReplayCameras(replayer, { sipHost: '127.0.0.1', sipPort: gw.sipPort, channels: 1 });
    const cam = cameras.cameras[0]!;
    await waitOnline(gw, cam.deviceId);
    const results: BenchResult[] = [];
    for (const transport of TRANSPORTS) {
      const runs: Run[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await playOnce(gw, cameras, cam, transport));
      const flv = runs.map((r) => r.flv);
      const hls = runs.map((r) => r.hls);
      const play = runs.map((r) => r.play);
      const ack = runs.map((r) => r.ack);
      const headerless = runs.filter((r) => r.flvHeaderMissing).length;
      const t = transport === 'udp' ? 'UDP' : 'TCP passive';
      const note = `${RUNS} runs; source GOP ${gopS.toFixed(2)} s (${clip.clip.gopFrames} frames at ${clip.fps} fps), started at a random frame`;
      results.push(
        { group: GROUP, name: `${t}: play -> first FLV picture, p50`, value: Math.round(percentile(flv, 50)), unit: 'ms', better: 'lower', target: FLV_TARGET_MS, note },
        {
          group: GROUP, name: `${t}: play -> first FLV picture, p95`, value: Math.round(percentile(flv, 95)), unit: 'ms', better: 'lower', target: FLV_TARGET_MS,
          note: `max ${Math.round(Math.max(...flv))} ms${headerless ? `; GATEWAY BUG: ${headerless}/${RUNS} FLV responses had no 'FLV' file header (viewer joined before ffmpeg's first bytes)` : ''}`,
        },
        { group: GROUP, name: `${t}: play -> first HLS segment listed, p50`, value: Math.round(percentile(hls, 50)), unit: 'ms', better: 'lower', target: HLS_TARGET_MS, note: 'hls_time 1: the first segment closes at the second keyframe' },
        { group: GROUP, name: `${t}: play -> first HLS segment listed, p95`, value: Math.round(percentile(hls, 95)), unit: 'ms', better: 'lower', target: HLS_TARGET_MS, note: `max ${Math.round(Math.max(...hls))} ms` },
        {
          group: GROUP, name: `${t}: play -> API answer (keyframe in, ffmpeg up), p50`, value: Math.round(percentile(play, 50)), unit: 'ms', better: 'lower',
          note: `INVITE -> ACK p50 ${Math.round(percentile(ack, 50))} ms; API answer p95 ${Math.round(percentile(play, 95))} ms; expected keyframe wait ${Math.round((gopS * 1000) / 2)} ms on average`,
        },
      );
    }
    results.push({ group: GROUP, name: 'load average during the bench (1/5/15 min)', value: Number(loadAverage().split(' ')[0]), unit: 'load', note: `before ${load0}, after ${loadAverage()}; 2-core machine shared with other work` });
    return results;
  } finally {
    replayer.close();
    await cameras?.stop();
    await gw?.stop();
  }
}

async function playOnce(gw: BuiltGateway, cameras: ReplayCameras, cam: { deviceId: string; channelId: string }, transport: (typeof TRANSPORTS)[number]): Promise<Run> {
  const t0 = performance.now();
  const dto = await gw.api<PlayDto>('POST', `/api/devices/${cam.deviceId}/channels/${cam.channelId}/play`, { transport });
  const tPlay = performance.now();
  try {
    const [flv, hls] = await Promise.all([firstFlvPicture(gw.httpUrl + dto.urls.flv, 10_000), firstHlsSegment(gw.httpUrl + dto.urls.hls, 10_000)]);
    const ackAt = cameras.ackAt(cam.channelId);
    return { play: tPlay - t0, ack: ackAt !== undefined && ackAt >= t0 ? ackAt - t0 : NaN, flv: flv.at - t0, hls: hls - t0, flvHeaderMissing: flv.headerMissing };
  } finally {
    await gw.api('DELETE', `/api/streams/${dto.streamId}`);
    // The camera stops on BYE; give the old dialog a moment so the next INVITE does not race it.
    await waitFor(() => cameras.sending === 0, 3000);
  }
}

async function waitOnline(gw: BuiltGateway, deviceId: string): Promise<void> {
  const ok = await waitFor(async () => (await gw.api<{ online: boolean }>('GET', `/api/devices/${deviceId}`)).online, 15_000);
  if (!ok) throw new Error(`camera ${deviceId} did not come online in the gateway`);
}

