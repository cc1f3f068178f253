// CPU per proxied RTSP stream and per pushed RTMP stream (issue 12 items 1 and 4), each without and with audio: what a
// proxy adds in front of the receive path a GB stream uses.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdtsFramer, AnnexBAuSplitter, PsMuxer, frameRfc4571, packetizePs, serializeRtpPacket, type SplitAccessUnit } from '@gb/gb28181';
import { resolveFfmpeg } from '@gb/runtime';
import { ingestArgs, MAX_PROXY_AU_BYTES } from '../apps/gateway/src/proxies/proxy-ingest';
import { RtmpPushServer } from '../apps/gateway/src/proxies/rtmp-push.server';
import { RtspTestServer } from '../test/support/rtsp-test-server';
import type { BenchResult } from './bench-result';
import { cpuTicks, CLOCK_TICKS_PER_S, loadAverage } from './support/proc-stats';

const GROUP = 'stream-proxy';
const PULLS = Number(process.env.BENCH_PROXY_PULLS ?? 4);
const PUSHES = Number(process.env.BENCH_PROXY_PUSHES ?? 4);
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
  return [...(await pulls(false)), ...(await pulls(true)), ...(await pushes(false)), ...(await pushes(true))];
}

/** A PS pack of each audio frame in RTP + RFC 4571 (the sink's audio path), timed: ms of CPU. */
function muxAudioFrames(frames: Buffer[]): number {
  const muxer = new PsMuxer({ video: 'h264', audio: 'aac' });
  const c0 = process.cpuUsage();
  let seq = 0;
  frames.forEach((f, k) => {
    const pts = k * 5760;
    for (const payload of packetizePs(muxer.muxAudio(f, pts))) frameRfc4571(serializeRtpPacket({ payloadType: 96, sequenceNumber: seq++ & 0xffff, timestamp: pts, ssrc: 1, marker: true, payload }));
  });
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/**
 * `audio`: the source also has a G.711 A-law 8 kHz track, which the pull's ffmpeg encodes to AAC-LC 16 kHz mono; the
 * gateway's JS half then also cuts ADTS frames and muxes them as audio PES.
 */
async function pulls(audio: boolean): Promise<BenchResult[]> {
  const ffmpeg = resolveFfmpeg();
  const server = new RtspTestServer({ path: 'live', audio: audio ? 'pcma' : undefined });
  await server.start();
  const children: ChildProcess[] = [];
  const captured: Buffer[] = [];
  const capturedAudio: Buffer[] = [];
  try {
    for (let i = 0; i < PULLS; i++) {
      const c = spawn(ffmpeg, ingestArgs(server.url, 'h264'), { stdio: ['ignore', 'pipe', 'ignore', 'pipe'] });
      const fd3 = c.stdio[3] as NodeJS.ReadableStream;
      if (i === 0) {
        c.stdout!.on('data', (d: Buffer) => captured.push(d));
        fd3.on('data', (d: Buffer) => capturedAudio.push(d));
      } else {
        c.stdout!.resume();
        fd3.resume();
      }
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
    let cpuMs = (cpu.user + cpu.system) / 1000;
    const mediaSeconds = frames / 25;
    let audioNote = '';
    if (audio) {
      const a0 = process.cpuUsage();
      const adts = new AdtsFramer().push(Buffer.concat(capturedAudio)).map((f) => f.frame);
      const a = process.cpuUsage(a0);
      const audioMs = (a.user + a.system) / 1000 + muxAudioFrames(adts);
      cpuMs += audioMs;
      audioNote = `; ${adts.length} AAC frames (${((adts.length * 1024) / 16000).toFixed(1)} s) cut and muxed in ${audioMs.toFixed(1)} ms`;
    }
    const jsPct = mediaSeconds > 0 ? (100 * cpuMs) / 1000 / mediaSeconds : NaN;
    const what = audio ? ' + G.711 audio → AAC' : '';
    const note = `${PULLS} pulls of one 640x360 25 fps H.264${audio ? ' + G.711 A-law 8 kHz' : ''} RTSP source (${Math.round((windowBytes * 8) / seconds / 1000)} kb/s of video each); load ${loadAverage()}`;
    return [
      { group: GROUP, name: `CPU per proxied RTSP stream: ffmpeg -c copy ingest${what}`, value: ffmpegPct, unit: '%core/str', better: 'lower', baseline: GB_STREAM_REF, note },
      { group: GROUP, name: `CPU per proxied stream: JS split + PS mux + RTP${audio ? ' (video + audio)' : ''}`, value: jsPct, unit: '%core/str', better: 'lower', note: `${frames} frames (${mediaSeconds.toFixed(1)} s of video) in ${cpuMs.toFixed(0)} ms of CPU${audioNote}` },
      { group: GROUP, name: `CPU a proxy adds in front of the GB path${what}`, value: ffmpegPct + jsPct, unit: '%core/str', better: 'lower', baseline: GB_STREAM_REF, note: 'the receiver, PS demux and HLS/FLV after it are the GB path (media-capacity.bench.ts)' },
    ];
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await server.stop();
  }
}

/**
 * `PUSHES` ffmpeg publishers (`-re -c copy` of a 640x360 25 fps H.264 clip, as an encoder sends it) into the gateway's
 * RtmpPushServer on loopback; each accepted publish's pictures go through the same PS mux + RTP + RFC 4571 framing as
 * the proxy's sink. The CPU of this process over a 10 s window, per stream: the whole push ingest (no ffmpeg on our side).
 */
async function pushes(audio: boolean): Promise<BenchResult[]> {
  const ffmpeg = resolveFfmpeg();
  const dir = mkdtempSync(join(tmpdir(), 'gbbench-push-'));
  const clip = join(dir, 'clip.flv');
  const tone = audio ? ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-map', '0:v', '-map', '1:a', '-c:a', 'aac', '-ac', '2', '-b:a', '128k'] : [];
  execFileSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', ...tone, '-t', '10', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25', '-b:v', '1500k', '-pix_fmt', 'yuv420p', '-f', 'flv', clip]);
  let frames = 0;
  let bytes = 0;
  let audioFrames = 0;
  const server = new RtmpPushServer({
    publish: async () => {
      const muxer = new PsMuxer({ video: 'h264', audio: audio ? 'aac' : undefined });
      let seq = 0;
      return {
        ok: true,
        unit: (u) => {
          const pts = u.dts * 90;
          const payloads = packetizePs(muxer.muxVideo(u.data, pts, u.keyframe));
          for (let i = 0; i < payloads.length; i++) frameRfc4571(serializeRtpPacket({ payloadType: 96, sequenceNumber: seq++ & 0xffff, timestamp: pts, ssrc: 1, marker: i === payloads.length - 1, payload: payloads[i]! }));
          frames++;
          bytes += u.data.length;
        },
        audio: (f) => {
          if (!f || typeof f === 'string') return;
          const pts = f.timestamp * 90;
          for (const payload of packetizePs(muxer.muxAudio(f.data, pts))) frameRfc4571(serializeRtpPacket({ payloadType: 96, sequenceNumber: seq++ & 0xffff, timestamp: pts, ssrc: 1, marker: true, payload }));
          audioFrames++;
        },
        end: () => undefined,
      };
    },
  }, () => undefined);
  const port = await server.listen(0, '127.0.0.1');
  const children: ChildProcess[] = [];
  try {
    for (let i = 0; i < PUSHES; i++) {
      children.push(spawn(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', clip, '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${port}/live/s${i}`], { stdio: 'ignore' }));
    }
    await sleep(2000);
    const f0 = frames;
    const b0 = bytes;
    const a0 = audioFrames;
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await sleep(WINDOW_S * 1000);
    const cpu = process.cpuUsage(c0);
    const seconds = (performance.now() - t0) / 1000;
    const pct = (100 * (cpu.user + cpu.system)) / 1e6 / seconds / PUSHES;
    const aac = audio ? ` + AAC 44.1 kHz stereo 128 kb/s (${((audioFrames - a0) / seconds / PUSHES).toFixed(1)} frames/s each)` : '';
    const note = `${PUSHES} ffmpeg publishers (-re -c copy, 640x360 25 fps H.264 ${Math.round(((bytes - b0) * 8) / seconds / 1000 / PUSHES)} kb/s each${aac}), ${((frames - f0) / seconds / PUSHES).toFixed(1)} frames/s each; load ${loadAverage()}`;
    const name = `CPU per pushed RTMP stream: our RTMP server + FLV to Annex B${audio ? ' and ADTS' : ''} + PS mux + RTP${audio ? ' (video + AAC)' : ''}`;
    return [{ group: GROUP, name, value: pct, unit: '%core/str', better: 'lower', baseline: GB_STREAM_REF, note }];
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
