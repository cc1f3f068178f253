// Recording on the platform (issue 12 item 2): CPU and disk per recorded stream. N recorders (TsSegmentRecorder, the
// gateway's in-process MPEG-TS writer: timeline, TS mux, files flushed every second) fed a 720p 2 Mb/s H.264 clip at
// real time, beside the per-GB-stream budget the gateway is held to; plus the flat-out cost per second of video.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsSegmentRecorder } from '../apps/gateway/src/recording/ts-segment-recorder';
import type { BenchResult } from './bench-result';
import { CAMERA_CLIP, loadH264Clip, type H264Clip } from './support/h264-clip';
import { loadAverage } from './support/proc-stats';

const GROUP = 'recording';
const STREAMS = Number(process.env.BENCH_RECORDING_STREAMS ?? 8);
const WINDOW_S = Number(process.env.BENCH_RECORDING_WINDOW_S ?? 10);
/** The per-GB-stream budget media-capacity.bench.ts holds the gateway to: 140 % of a core for 400 streams. */
const GB_STREAM_REF = { name: 'GB stream budget (media-capacity target)', value: 140 / 400 };

function recorder(root: string, i: number): TsSegmentRecorder {
  return new TsSegmentRecorder({ root, channelId: `3402000000132${String(i).padStart(7, '0')}`, segmentMs: 60_000 });
}

function duBytes(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir, { recursive: true })) {
    const p = join(dir, String(f));
    const st = statSync(p);
    if (st.isFile()) n += st.size;
  }
  return n;
}

/** All frames of the clip through one recorder as fast as it takes them: CPU per second of video. */
async function flatOut(clip: H264Clip, root: string): Promise<{ pct: number; seconds: number }> {
  const r = recorder(root, 999);
  const rounds = 6;
  const c0 = process.cpuUsage();
  let frames = 0;
  for (let k = 0; k < rounds; k++) {
    for (const f of clip.frames) {
      const t = 90_000 + frames++ * 3600;
      r.push({ kind: 'video', codec: 'h264', streamId: 0xe0, pts: t, dts: t, keyframe: f.keyframe, data: f.data });
    }
    r.flush();
    await r.idle();
  }
  await r.close();
  const cpu = process.cpuUsage(c0);
  const seconds = frames / clip.options.fps;
  return { pct: (100 * (cpu.user + cpu.system)) / 1e6 / seconds, seconds };
}

export async function run(): Promise<BenchResult[]> {
  const clip = loadH264Clip(CAMERA_CLIP);
  const root = mkdtempSync(join(tmpdir(), 'gb-bench-rec-'));
  try {
    const flat = await flatOut(clip, join(root, 'flat'));
    const rt = join(root, 'rt');
    const recs = Array.from({ length: STREAMS }, (_, i) => recorder(rt, i));
    const fps = clip.options.fps;
    let frame = 0;
    const c0 = process.cpuUsage();
    const t0 = Date.now();
    // Real time: every 40 ms each recorder gets the next frame (the clip loops; timestamps keep rising).
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const due = Math.floor(((Date.now() - t0) / 1000) * fps);
        while (frame < due) {
          const f = clip.frames[frame % clip.frames.length]!;
          const t = 90_000 + frame * (90_000 / fps);
          for (const r of recs) r.push({ kind: 'video', codec: 'h264', streamId: 0xe0, pts: t, dts: t, keyframe: f.keyframe, data: f.data });
          frame++;
        }
        if (Date.now() - t0 >= WINDOW_S * 1000) {
          clearInterval(tick);
          resolve();
        }
      }, 1000 / fps);
    });
    await Promise.all(recs.map((r) => r.close()));
    const cpu = process.cpuUsage(c0);
    const wall = (Date.now() - t0) / 1000;
    const perStream = (100 * (cpu.user + cpu.system)) / 1e6 / wall / STREAMS;
    const videoS = frame / fps;
    const bytes = duBytes(rt);
    const bytesPerStreamS = bytes / STREAMS / videoS;
    const esBytesPerS = clip.frames.reduce((n, f) => n + f.data.length, 0) / (clip.frames.length / fps);
    const overhead = 100 * (bytesPerStreamS / esBytesPerS - 1);
    const note = `${STREAMS} streams of ${CAMERA_CLIP.width}x${CAMERA_CLIP.height} ${fps} fps H.264 at ${Math.round(clip.bitrate / 1000)} kb/s for ${wall.toFixed(1)} s, files flushed every second; load ${loadAverage()}`;
    return [
      { group: GROUP, name: 'CPU per recorded stream (real time)', value: perStream, unit: '%core/str', better: 'lower', baseline: GB_STREAM_REF, note },
      { group: GROUP, name: 'CPU per second of video (one recorder, flat out)', value: flat.pct, unit: '%core', better: 'lower', note: `${flat.seconds.toFixed(0)} s of video` },
      { group: GROUP, name: 'disk per recorded stream', value: (bytesPerStreamS * 3600) / 1e6, unit: 'MB/h', better: 'lower', note: `${((bytesPerStreamS * 86400) / 1e9).toFixed(1)} GB/day; MPEG-TS overhead ${overhead.toFixed(1)} % over the H.264 elementary stream` },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
