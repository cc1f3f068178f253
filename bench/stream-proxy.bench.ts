// CPU per proxied RTSP stream (issue 12 item 1): what a proxy adds in front of the receive path a GB stream uses.
import { spawn, type ChildProcess } from 'node:child_process';
import { AnnexBAuSplitter, PsMuxer, frameRfc4571, packetizePs, serializeRtpPacket, type SplitAccessUnit } from '@gb/gb28181';
import { resolveFfmpeg } from '@gb/runtime';
import { ingestArgs, MAX_PROXY_AU_BYTES } from '../apps/gateway/src/proxies/proxy-ingest';
import { RtspTestServer } from '../test/support/rtsp-test-server';
import type { BenchResult } from './bench-result';
import { cpuTicks, CLOCK_TICKS_PER_S, loadAverage } from './support/proc-stats';

const GROUP = 'stream-proxy';
const PULLS = Number(process.env.BENCH_PROXY_PULLS ?? 4);
const WINDOW_S = 10;
/**
 * Beside: the per-GB-stream budget media-capacity.bench.ts holds the gateway to (140 % of a core for 400 streams: receiver,
 * PS demux, HLS/FLV remux); its measured figure is printed by that bench ("N=…: CPU per stream, gateway + ffmpeg").
 */
const GB_STREAM_REF = { name: 'GB stream budget (media-capacity target)', value: 140 / 400 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * 1. `PULLS` ffmpeg ingests (`-c copy`, RTSP over TCP, Annex B on stdout: the gateway's own command line) pull one
 *    640x360 25 fps H.264 source; their CPU over a 10 s window, per stream.
 * 2. The gateway's JS half of an ingest (cut into access units, PS mux, RTP + RFC 4571 framing) over the bytes one
 *    pull delivered, timed in this process: % of a core per stream at real time.
 * From the sink on, a proxied stream takes the GB stream's path (receiver, PS demux, HLS/FLV): media-capacity measures it.
 */
export async function run(): Promise<BenchResult[]> {
  const ffmpeg = resolveFfmpeg();
  const server = new RtspTestServer({ path: 'live' });
  await server.start();
  const children: ChildProcess[] = [];
  const captured: Buffer[] = [];
  try {
    for (let i = 0; i < PULLS; i++) {
      const c = spawn(ffmpeg, ingestArgs(server.url, 'h264'), { stdio: ['ignore', 'pipe', 'ignore'] });
      if (i === 0) c.stdout!.on('data', (d: Buffer) => captured.push(d));
      else c.stdout!.resume();
      children.push(c);
    }
    await sleep(3000); // probe and first keyframe
    const t0 = performance.now();
    const ticks0 = children.map((c) => cpuTicks(c.pid!) ?? 0);
    const bytes0 = captured.reduce((a, b) => a + b.length, 0);
    await sleep(WINDOW_S * 1000);
    const seconds = (performance.now() - t0) / 1000;
    const ticks = children.reduce((a, c, i) => a + ((cpuTicks(c.pid!) ?? 0) - ticks0[i]!), 0);
    const ffmpegPct = (100 * ticks) / CLOCK_TICKS_PER_S / seconds / PULLS;
    const all = Buffer.concat(captured);
    const windowBytes = all.length - bytes0;

    // The JS half over everything one pull delivered (first keyframe on), timed.
    const splitter = new AnnexBAuSplitter('h264', MAX_PROXY_AU_BYTES);
    const muxer = new PsMuxer({ video: 'h264' });
    const out: SplitAccessUnit[] = [];
    let frames = 0;
    let seq = 0;
    const c0 = process.cpuUsage();
    for (let off = 0; off < all.length; off += 65536) {
      splitter.push(all.subarray(off, off + 65536), undefined, undefined, out);
      for (const au of out) {
        const pts = frames * 3600;
        const payloads = packetizePs(muxer.muxVideo(au.data, pts, au.keyframe));
        for (let i = 0; i < payloads.length; i++) frameRfc4571(serializeRtpPacket({ payloadType: 96, sequenceNumber: seq++ & 0xffff, timestamp: pts, ssrc: 1, marker: i === payloads.length - 1, payload: payloads[i]! }));
        frames++;
      }
      out.length = 0;
    }
    const cpu = process.cpuUsage(c0);
    const mediaSeconds = frames / 25;
    const jsPct = mediaSeconds > 0 ? (100 * (cpu.user + cpu.system)) / 1e6 / mediaSeconds : NaN;
    const note = `${PULLS} pulls of one 640x360 25 fps H.264 RTSP source (${Math.round((windowBytes * 8) / seconds / 1000)} kb/s each); load ${loadAverage()}`;
    return [
      { group: GROUP, name: 'CPU per proxied RTSP stream: ffmpeg -c copy ingest', value: ffmpegPct, unit: '%core/str', better: 'lower', baseline: GB_STREAM_REF, note },
      { group: GROUP, name: 'CPU per proxied stream: JS split + PS mux + RTP', value: jsPct, unit: '%core/str', better: 'lower', note: `${frames} frames (${mediaSeconds.toFixed(1)} s of video) in ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms of CPU` },
      { group: GROUP, name: 'CPU a proxy adds in front of the GB path', value: ffmpegPct + jsPct, unit: '%core/str', better: 'lower', baseline: GB_STREAM_REF, note: 'the receiver, PS demux and HLS/FLV after it are the GB path (media-capacity.bench.ts)' },
    ];
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await server.stop();
  }
}
