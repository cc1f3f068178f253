// CPU per H.265 -> H.264 transcode (the rendition for browsers without HEVC) at 720p and 1080p, 25 fps:
// the gateway's own H264Transcoder (ffmpeg, libx264 ultrafast zerolatency) fed a libx265 source at camera pace.
import { spawn, spawnSync } from 'node:child_process';
import { AnnexBAuSplitter, type SplitAccessUnit } from '@gb/gb28181';
import { resolveFfmpeg } from '@gb/runtime';
import { H264Transcoder } from '../apps/gateway/src/media/h264-transcoder';
import { transcodeLimit } from '../apps/gateway/src/streams/h264-renditions.service';
import type { BenchResult } from './bench-result';
import { cpuTicks, CLOCK_TICKS_PER_S, loadAverage } from './support/proc-stats';

const GROUP = 'h265-transcode';
const FPS = 25;
/** Seconds fed before the measurement starts (ffmpeg and x264 start-up), and measured. */
const WARMUP_S = 2;
const MEASURE_S = 10;

/** (WARMUP_S + MEASURE_S) s of an H.265 test pattern (libx265 ultrafast, GOP 2 s, repeat headers, no B-frames), as access units. */
async function h265Source(ffmpeg: string, size: string): Promise<SplitAccessUnit[]> {
  const frames = (WARMUP_S + MEASURE_S) * FPS;
  const p = spawn(ffmpeg, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${FPS}`, '-frames:v', String(frames), '-c:v', 'libx265', '-preset', 'ultrafast',
    '-x265-params', `keyint=${2 * FPS}:min-keyint=${2 * FPS}:scenecut=0:repeat-headers=1:bframes=0:log-level=error`, '-b:v', size.startsWith('1920') ? '4M' : '2M', '-f', 'hevc', 'pipe:1']);
  const chunks: Buffer[] = [];
  p.stdout.on('data', (b: Buffer) => chunks.push(b));
  const code = await new Promise<number | null>((ok) => p.on('close', ok));
  if (code !== 0) throw new Error(`libx265 source (${size}) failed: ffmpeg exited ${code}`);
  const out: SplitAccessUnit[] = [];
  const s = new AnnexBAuSplitter('h265', 16 << 20);
  s.push(Buffer.concat(chunks), undefined, undefined, out);
  s.endOfUnit(out);
  return out;
}

async function measure(ffmpeg: string, label: string, size: string): Promise<{ pct: number; fpsOut: number; note: string }> {
  const units = await h265Source(ffmpeg, size);
  const t = new H264Transcoder({ ffmpegPath: ffmpeg });
  try {
    const pid = t.pid!;
    const t0 = Date.now();
    let sent = 0;
    let mark: { at: number; ticks: number; out: number } | null = null;
    // camera pace: frame i leaves at t0 + i/FPS
    while (sent < units.length) {
      const due = Math.min(units.length, Math.floor(((Date.now() - t0) / 1000) * FPS) + 1);
      for (; sent < due; sent++) {
        const u = units[sent]!;
        t.write({ kind: 'video', codec: 'h265', streamId: 0xe0, pts: sent * 3600, dts: sent * 3600, keyframe: u.keyframe, data: u.data });
      }
      if (!mark && sent >= WARMUP_S * FPS) mark = { at: Date.now(), ticks: cpuTicks(pid) ?? 0, out: t.framesOut };
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 200)); // the last frames out
    const wall = (Date.now() - mark!.at) / 1000;
    const cpuS = ((cpuTicks(pid) ?? 0) - mark!.ticks) / CLOCK_TICKS_PER_S;
    const fpsOut = (t.framesOut - mark!.out) / wall;
    return { pct: (100 * cpuS) / wall, fpsOut, note: `${label}: ${cpuS.toFixed(2)} CPU s in ${wall.toFixed(1)} s, ${fpsOut.toFixed(1)} fps out of ${FPS}, ${t.framesDropped} dropped` };
  } finally {
    await t.close();
  }
}

export async function run(): Promise<BenchResult[]> {
  const ffmpeg = resolveFfmpeg();
  const enc = spawnSync(ffmpeg, ['-hide_banner', '-encoders'], { encoding: 'utf8' });
  if (!enc.stdout?.includes('libx265') || !enc.stdout.includes('libx264')) throw new Error(`${ffmpeg} lacks libx265 or libx264 (apt-get install ffmpeg)`);
  const perCoreBudget = 100 / (transcodeLimit(0, 1)); // TRANSCODE_MAX = 0: 2 per core, so each may use half a core
  const r720 = await measure(ffmpeg, '720p', '1280x720');
  const r1080 = await measure(ffmpeg, '1080p', '1920x1080');
  const load = loadAverage();
  return [
    { group: GROUP, name: 'CPU per transcode, 720p25 H.265 -> H.264', value: r720.pct, unit: '%core', better: 'lower', target: perCoreBudget, note: `${r720.note}; load ${load}` },
    { group: GROUP, name: 'CPU per transcode, 1080p25 H.265 -> H.264', value: r1080.pct, unit: '%core', better: 'lower', target: perCoreBudget, baseline: { name: '720p', value: r720.pct }, note: r1080.note },
    { group: GROUP, name: 'frames out per second, 1080p25', value: r1080.fpsOut, unit: 'fps', target: FPS * 0.95, note: 'keeps camera pace' },
  ];
}
