import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FfmpegFrameSource } from '../apps/vision-worker/src/frames/ffmpeg-frame-source';
import { OnnxDetector } from '../apps/vision-worker/src/model/onnx-detector';
import { letterbox } from '../apps/vision-worker/src/model/preprocess';
import { FixedDetectStrategy } from '../apps/vision-worker/src/pipeline/detect-strategy';
import { FramePipeline } from '../apps/vision-worker/src/pipeline/frame-pipeline';
import type { BenchResult } from './bench-result';

const MODEL = resolve(process.cwd(), '../shared/models/yolox_nano.onnx');
const MEDIA = resolve(process.cwd(), '../shared/media/traffic');
/**
 * There is no 1280-wide clip among the shared media: the intel car-park clip (768×432, 12.5 frames/s) is scaled up to
 * 1280×720 and played at 25 frames/s (every frame a new picture, twice the speed) once (H.264, x264 veryfast, GOP 50, like a camera's main stream) and cached here.
 */
const CLIP_1280 = join(tmpdir(), 'gb-vision-bench-intel-1280x720-x2.mp4');
/** The CPU everything runs on (node, onnxruntime's one intra-op thread and the ffmpeg decoder it spawns). */
const PINNED_CPU = '0';
/** Frames scored per end-to-end case. */
const FRAMES = 200;

interface Case {
  file: string;
  label: string;
  tiles: 1 | 2;
  /** Widest frame handed to the pipeline (ffmpeg scales down to it; the live worker uses 640). */
  maxWidth: number;
  target: number;
}

const CASES: Case[] = [
  { file: join(MEDIA, 'bgs_highway_cctv_video02.avi'), label: 'bgs highway 320×240, 1 pass', tiles: 1, maxWidth: 640, target: 60 },
  { file: join(MEDIA, 'intel_car-detection.mp4'), label: 'intel car park 768×432 → 640×360, 1 pass', tiles: 1, maxWidth: 640, target: 60 },
  { file: CLIP_1280, label: '1280×720 clip, 1280-wide frames, 1 pass', tiles: 1, maxWidth: 1280, target: 60 },
  { file: CLIP_1280, label: '1280×720 clip, 1280-wide frames, VISION_TILES=2', tiles: 2, maxWidth: 1280, target: 30 },
  { file: CLIP_1280, label: '1280×720 clip → 640×360 (live width), VISION_TILES=2', tiles: 2, maxWidth: 640, target: 30 },
];

/**
 * Raw YOLOX-Nano inference rate on one intra-op thread, beside the end-to-end rate (ffmpeg decode of a clip, scale,
 * letterbox, inference, decode + NMS, tracking, scoring) with one pass and with VISION_TILES=2. "On one core" is
 * enforced, not assumed: the measuring process re-runs itself under `taskset -c 0`, and the ffmpeg decoder it spawns
 * inherits the affinity, so decode and inference share that core. Besides frames per wall second, each case gives
 * the CPU time per frame of node and ffmpeg together (/proc/self/stat utime+stime+cutime+cstime: ffmpeg is reaped
 * by node), which stays meaningful when other work shares core 0.
 *
 * BENCH_VISION_PROFILE=<dir>: the pinned child runs under `node --cpu-prof` and the top-10 self-time functions of
 * the run are printed (V8 sees only JavaScript: onnxruntime's inference runs on its own thread and shows as idle).
 * BENCH_VISION_CASES=<text>: only the end-to-end cases whose label contains it.
 * BENCH_VISION_THREADS=<n>: onnxruntime intra-op threads (default 1); n > 1 pins to CPUs 0..n-1 instead of one core.
 * BENCH_VISION_FOCUS=0: the end-to-end cases run the graph as exported, YOLOX's Focus Slices inside (focus-input.ts).
 */
export async function run(): Promise<BenchResult[]> {
  if (spawnSync('taskset', ['-V']).status !== 0) throw new Error('taskset not found (Debian package util-linux): the vision bench pins itself to one core');
  ensureClip1280();
  const threads = threadCount();
  const cpus = threads > 1 ? `0-${threads - 1}` : PINNED_CPU;
  const profDir = process.env.BENCH_VISION_PROFILE;
  if (profDir) mkdirSync(profDir, { recursive: true });
  const nodeArgs = [...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []), '--import', 'tsx', __filename, '--measure'];
  const child = spawn('taskset', ['-c', cpus, process.execPath, ...nodeArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b) => (out += b));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  if (code !== 0) throw new Error(`pinned vision bench exited with ${code}`);
  const results = JSON.parse(out.trim().split('\n').pop()!) as BenchResult[];
  if (profDir) printProfile(profDir);
  return results;
}

function threadCount(): number {
  const n = Number(process.env.BENCH_VISION_THREADS ?? 1);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

function ensureClip1280(): void {
  if (existsSync(CLIP_1280)) return;
  const tmp = `${CLIP_1280}.${process.pid}.mp4`;
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', join(MEDIA, 'intel_car-detection.mp4'), '-an',
    '-vf', 'scale=1280:720:flags=bicubic,setpts=N/(25*TB)', '-r', '25', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '50', '-pix_fmt', 'yuv420p', tmp], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('could not make the 1280×720 bench clip with ffmpeg');
  renameSync(tmp, CLIP_1280);
}

function printProfile(dir: string): void {
  // The main thread's profile is the largest (tsx's loader thread writes a small one beside it).
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const last = files.sort((a, b) => statSync(join(dir, a)).size - statSync(join(dir, b)).size).at(-1);
  if (!last) return;
  const r = topSelfTime(JSON.parse(readFileSync(join(dir, last), 'utf8')) as CpuProfile, 10);
  process.stdout.write(`  top-10 self time (${join(dir, last)}; busy ${(r.busyMs / 1000).toFixed(2)} s of ${(r.windowMs / 1000).toFixed(1)} s):\n`);
  for (const x of r.rows) process.stdout.write(`  ${x.ms.toFixed(0).padStart(7)} ms ${(100 * x.share).toFixed(1).padStart(5)} %  ${x.name}\n`);
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function of a V8 .cpuprofile, largest first, and the busy (not idle) total. */
function topSelfTime(profile: CpuProfile, top: number): { rows: { name: string; ms: number; share: number }[]; busyMs: number; windowMs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map<string, number>();
  let busy = 0;
  let window = 0;
  for (let i = 1; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i]! / 1000;
    window += dt;
    const f = byId.get(profile.samples[i]!)!;
    if (f.functionName === '(idle)') continue;
    const name = `${f.functionName || '(anonymous)'} ${f.url ? `${f.url.replace(/^.*\/(apps|node_modules)\//, '$1/')}:${f.lineNumber + 1}` : ''}`.trim();
    self.set(name, (self.get(name) ?? 0) + dt);
    busy += dt;
  }
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, ms]) => ({ name, ms, share: ms / busy }));
  return { rows, busyMs: busy, windowMs: window };
}

/** CPU seconds of this process and its reaped children (ffmpeg), from /proc/self/stat. */
function cpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
}

async function measure(): Promise<BenchResult[]> {
  const threads = threadCount();
  // BENCH_VISION_FOCUS=0: the pipeline runs the graph as exported (the A/B of focus-input.ts).
  const det = await OnnxDetector.load(MODEL, { intraOpThreads: threads, focusInput: process.env.BENCH_VISION_FOCUS !== '0' });
  // The raw rate (the unit the end-to-end figures are compared with) is the graph as exported, Focus Slices included,
  // as in the figures before focus-input.ts; the Focus-fed graph the pipeline runs is measured beside it.
  const exported = await OnnxDetector.load(MODEL, { intraOpThreads: threads, focusInput: false });
  const where = threads > 1 ? `${threads} threads on CPUs 0-${threads - 1}` : '1 thread, pinned to 1 core';
  try {
    const frame = { width: 640, height: 480, data: Buffer.alloc(640 * 480 * 3, 90) };
    // 100 inferences each, in alternating blocks of 10, so that a change of load on the shared core hits both alike.
    const timed = [exported, det].map((d) => ({ d, tensor: letterbox(frame, undefined, undefined, undefined, d.focus ?? undefined).tensor, ms: 0 }));
    for (const x of timed) for (let i = 0; i < 5; i++) await x.d.runTensor(x.tensor);
    for (let block = 0; block < 10; block++) {
      for (const x of timed) {
        const t0 = performance.now();
        for (let i = 0; i < 10; i++) await x.d.runTensor(x.tensor);
        x.ms += performance.now() - t0;
      }
    }
    const [raw, fed] = timed.map((x) => (100 * 1000) / x.ms) as [number, number];
    await exported.close();
    const results: BenchResult[] = [
      { group: 'vision', name: `YOLOX-Nano inference 416², ${where}`, value: round(raw), unit: 'frames/s', target: 30, note: `${round(1000 / raw)} ms/frame` },
      {
        group: 'vision',
        name: `YOLOX-Nano inference 416², Focus fed by the letterbox, ${where}`,
        value: round(fed),
        unit: 'frames/s',
        target: 30,
        baseline: { name: 'as exported', value: round(raw) },
        note: `${round(1000 / fed)} ms/frame${det.focus ? '' : ' (rewrite not applied: same graph)'}`,
      },
    ];
    const only = process.env.BENCH_VISION_CASES;
    for (const c of CASES.filter((x) => !only || x.label.includes(only))) {
      const pipeline = new FramePipeline(det, { detectStrategy: new FixedDetectStrategy(c.tiles) });
      const src = new FfmpegFrameSource(c.file, { fps: 25, maxWidth: c.maxWidth });
      let frames = 0;
      let size = '';
      const cpu0 = cpuSeconds();
      const t1 = performance.now();
      for await (const { t, frame: f } of src) {
        size = `${f.width}×${f.height}`;
        await pipeline.processVideoFrame(f, t);
        if (++frames >= FRAMES) break;
      }
      src.close();
      const wall = performance.now() - t1;
      await new Promise((r) => setTimeout(r, 200)); // ffmpeg reaped: its CPU time is in cutime/cstime
      const cpu = cpuSeconds() - cpu0;
      const e2e = (frames * 1000) / wall;
      results.push({
        group: 'vision',
        name: `end to end, ${where}: ${c.label}`,
        value: round(e2e),
        unit: 'frames/s',
        target: c.target,
        baseline: { name: 'raw inference', value: round(raw) },
        note: `${frames} frames of ${size}: ffmpeg decode + scale, letterbox, detect, track, score; ${round(wall / frames)} ms/frame wall, ${round((cpu * 1000) / frames)} ms CPU/frame (node + ffmpeg) = ${round(frames / cpu)} frames per CPU-second; ${round((wall / frames) * (raw / 1000))} units (wall ms/frame ÷ ms per raw 416² inference as exported)`,
      });
    }
    return results;
  } finally {
    await Promise.all([det.close(), exported.close()]);
  }
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

if (require.main === module) {
  if (process.argv.includes('--measure')) {
    measure().then((r) => process.stdout.write(JSON.stringify(r) + '\n'));
  } else {
    run().then((r) => console.log(JSON.stringify(r, null, 1)));
  }
}
