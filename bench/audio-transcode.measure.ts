// `npx tsx bench/audio-transcode.measure.ts [seconds]`: CPU per stream of the ways to get a camera's G.711 into the
// browser outputs as AAC (docs/decisions/audio-transcode.md). Each case is fed in real time (25 fps video, 20 ms audio
// units) for `seconds`; CPU is utime + stime of the ffmpeg child from /proc and of this process (process.cpuUsage).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import type { Writable } from 'node:stream';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AnnexBAuSplitter, PcmUpsampler2x, PsMuxer, decodeG711, encodeG711, isH264Keyframe, type PsAccessUnit, type SplitAccessUnit } from '@gb/gb28181';
import { findFfmpeg } from '@gb/runtime';
import { ffmpegArgs } from '../apps/device-sim/src/media/media-source';
import { CameraAudioTranscoder } from '../apps/gateway/src/media/camera-audio.transcoder';
import { CLOCK_TICKS_PER_S, cpuTicks } from './support/proc-stats';

const SECONDS = Number(process.argv[2] ?? 15);

function video(width: number, height: number): PsAccessUnit[] {
  const es = execFileSync(findFfmpeg()!, ffmpegArgs({ width, height, durationS: SECONDS + 2 }), { maxBuffer: 512 << 20 });
  const split = new AnnexBAuSplitter('h264', 8 << 20);
  const out: SplitAccessUnit[] = [];
  split.push(es, undefined, undefined, out);
  split.push(Buffer.from([0, 0, 0, 1, 0x09, 0xf0]), undefined, undefined, out);
  return out.map((u, i) => ({ kind: 'video', codec: 'h264', streamId: 0xe0, pts: 90_000 + i * 3600, keyframe: isH264Keyframe(u.data), data: u.data }));
}

/** 20 ms G.711 A-law units of a 440 Hz tone. */
function audio(): PsAccessUnit[] {
  const units: PsAccessUnit[] = [];
  for (let i = 0; i < (SECONDS + 2) * 50; i++) {
    const pcm = Array.from({ length: 160 }, (_, n) => Math.round(6000 * Math.sin((2 * Math.PI * 440 * (i * 160 + n)) / 8000)));
    units.push({ kind: 'audio', codec: 'g711a', streamId: 0xc0, pts: 90_000 + i * 1800, keyframe: true, data: encodeG711('alaw', pcm) });
  }
  return units;
}

/** Feeds units at their PTS in real time for SECONDS; returns % of one core used by the child `pid()` and by this process. */
async function paced(units: PsAccessUnit[], write: (u: PsAccessUnit) => void, pid: () => number | undefined): Promise<{ child: number; node: number }> {
  const sorted = [...units].sort((a, b) => a.pts! - b.pts!);
  const t0 = Date.now();
  let i = 0;
  let start: { ticks: number; cpu: NodeJS.CpuUsage; at: number } | null = null;
  while (Date.now() - t0 < (SECONDS + 1) * 1000) {
    const due = (Date.now() - t0) * 90;
    while (i < sorted.length && sorted[i]!.pts! - 90_000 <= due) write(sorted[i++]!);
    // measure from 1 s in (the child started and probed)
    if (!start && Date.now() - t0 >= 1000 && pid()) start = { ticks: cpuTicks(pid()!) ?? 0, cpu: process.cpuUsage(), at: Date.now() };
    await new Promise((r) => setTimeout(r, 10));
  }
  const wall = (Date.now() - start!.at) / 1000;
  const ticks = (cpuTicks(pid()!) ?? 0) - start!.ticks;
  const cpu = process.cpuUsage(start!.cpu);
  return { child: (100 * ticks) / CLOCK_TICKS_PER_S / wall, node: (100 * (cpu.user + cpu.system)) / 1e6 / wall };
}

async function main(): Promise<void> {
  const a = audio();
  const rows: string[] = [];

  // In-process part of the chosen path: decode + upsample one second of G.711 (no I/O).
  const up = new PcmUpsampler2x();
  const t = process.hrtime.bigint();
  for (const u of a) up.push(decodeG711('alaw', u.data));
  const usPerS = Number(process.hrtime.bigint() - t) / 1000 / (a.length / 50);
  rows.push(`G.711 decode + 8->16 kHz upsample in-process: ${usPerS.toFixed(0)} µs per second of audio (${(usPerS / 1e4).toFixed(3)} % of a core)`);

  // Idle baseline of this process's pacing loop.
  const idle = await paced([], () => undefined, () => process.pid);
  rows.push(`pacing loop alone: node ${idle.node.toFixed(1)} %`);

  // Chosen: one audio-only ffmpeg per stream with audio (PCM in, ADTS AAC out).
  const tr = new CameraAudioTranscoder({ ffmpegPath: findFfmpeg()!, onFrame: () => undefined });
  const r1 = await paced(a, (u) => tr.write(u), () => tr.pid);
  await tr.close();
  rows.push(`audio-only transcoder (G.711 -> AAC 16 kHz 32 kb/s): ffmpeg ${r1.child.toFixed(1)} % of a core, node ${(r1.node - idle.node).toFixed(1)} % above the loop`);

  for (const [w, h] of [[640, 360], [1280, 720]] as const) {
    const v = video(w, h);
    // The HLS ffmpeg as the in-process muxer's alternative: video copy only (an H.264 stream without audio, or with our
    // AAC copied), and video copy + G.711 -> AAC in the same process (the design not chosen; G.711 on a second pipe,
    // since ffmpeg's PS demuxer does not know PSM stream type 0x90 and takes 0xC0 for MPEG audio).
    for (const withAudio of [false, true]) {
      const dir = mkdtempSync(join(tmpdir(), 'audiobench-'));
      const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-fflags', '+genpts+nobuffer', '-probesize', '32768', '-analyzeduration', '0', '-f', 'mpeg', '-i', 'pipe:0',
        ...(withAudio ? ['-f', 'alaw', '-ar', '8000', '-ac', '1', '-i', 'pipe:3', '-map', '0:v:0', '-map', '1:a:0', '-c:a', 'aac', '-b:a', '32k', '-ar', '16000'] : ['-map', '0:v:0']),
        '-c:v', 'copy', '-f', 'hls', '-hls_time', '1', '-hls_list_size', '6', '-hls_flags', 'delete_segments', join(dir, 'index.m3u8')];
      const child = spawn(findFfmpeg()!, args, { stdio: ['pipe', 'ignore', 'pipe', 'pipe'] });
      const mux = new PsMuxer({ video: 'h264' });
      const audioPipe = child.stdio[3] as Writable;
      child.stdin!.on('error', () => undefined);
      audioPipe.on('error', () => undefined);
      const r = await paced(withAudio ? [...v, ...a] : v, (u) => {
        if (u.kind === 'video') child.stdin!.write(mux.muxVideo(u.data, u.pts!, u.keyframe));
        else audioPipe.write(u.data);
      }, () => child.pid);
      const seg = readdirSync(dir).filter((f) => f.endsWith('.ts')).sort().at(-2);
      const pcm = seg ? spawnSync(findFfmpeg()!, ['-v', 'error', '-i', join(dir, seg), '-map', '0:a:0?', '-f', 's16le', '-ar', '16000', '-ac', '1', 'pipe:1'], { maxBuffer: 64 << 20 }).stdout : Buffer.alloc(0);
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      rows.push(`HLS ffmpeg ${w}x${h}, video copy${withAudio ? ' + G.711 -> AAC in the same process' : ' only'}: ffmpeg ${r.child.toFixed(1)} % of a core (a segment: ${(pcm.length / 2 / 16000).toFixed(2)} s of audio)`);
    }
  }
  console.log(`ffmpeg ${execFileSync(findFfmpeg()!, ['-version']).toString().split('\n')[0]}; ${SECONDS} s per case, real-time feed`);
  for (const r of rows) console.log(`- ${r}`);
}
void main();
