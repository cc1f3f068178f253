import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FfmpegFrameSource } from '../apps/vision-worker/src/frames/ffmpeg-frame-source';
import { OnnxDetector } from '../apps/vision-worker/src/model/onnx-detector';
import { AutoDetectStrategy } from '../apps/vision-worker/src/pipeline/auto-detect-strategy';
import { FixedDetectStrategy, type DetectStrategy } from '../apps/vision-worker/src/pipeline/detect-strategy';
import { FramePipeline, type FrameDetector } from '../apps/vision-worker/src/pipeline/frame-pipeline';
import type { BenchResult } from './bench-result';

const MODEL = resolve(process.cwd(), '../shared/models/yolox_nano.onnx');
const MEDIA = resolve(process.cwd(), '../shared/media/traffic');
/** The CPU everything runs on (as in vision.bench.ts). */
const PINNED_CPU = '0';
/** Seconds of each input scored, at 1 frame/s (the live default). */
const SECONDS = 20;

/**
 * Inference cost per scored frame of the automatic detector choice (AutoDetectStrategy) beside the single
 * pass, through the live path at 1 frame/s on one pinned core: a distant hazy still looped as video (TRANCOS
 * cam1 000013, where the choice runs extra passes) and a near clip (bgs highway, where it keeps one pass).
 * Milliseconds are the strategy's (all detector passes, crops, mirroring, CLAHE, the probe frames too); passes
 * are detector calls per scored frame, averaged over the run.
 */
export async function run(): Promise<BenchResult[]> {
  if (spawnSync('taskset', ['-V']).status !== 0) throw new Error('taskset not found (Debian package util-linux): the vision bench pins itself to one core');
  const child = spawn('taskset', ['-c', PINNED_CPU, process.execPath, '--import', 'tsx', __filename, '--measure'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b) => (out += b));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  if (code !== 0) throw new Error(`pinned detector-choice bench exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop()!) as BenchResult[];
}

interface Cost {
  msPerFrame: number;
  passesPerFrame: number;
  frames: number;
  level: string;
}

async function cost(det: OnnxDetector, file: string, strategy: DetectStrategy): Promise<Cost> {
  let calls = 0;
  let ms = 0;
  const counting: FrameDetector = { detect: (f, o) => (calls++, det.detect(f, o)) };
  // The strategy is timed as a whole: detector passes, crops, mirroring, CLAHE and the probes.
  const timed: DetectStrategy = {
    detect: async (d, f, ctx) => {
      const t0 = performance.now();
      try {
        return await strategy.detect(d, f, ctx);
      } finally {
        ms += performance.now() - t0;
      }
    },
    choice: () => strategy.choice(),
    reset: () => strategy.reset(),
  };
  const pipeline = new FramePipeline(counting, { detectStrategy: timed });
  const src = new FfmpegFrameSource(file, { fps: 1 });
  let frames = 0;
  let level = '';
  try {
    for await (const { t, frame } of src) {
      const r = await pipeline.processVideoFrame(frame, t);
      level = r.scores[0]?.level ?? '';
      if (++frames >= SECONDS) break;
    }
  } finally {
    src.close();
  }
  return { msPerFrame: ms / frames, passesPerFrame: calls / frames, frames, level };
}

async function measure(): Promise<BenchResult[]> {
  const det = await OnnxDetector.load(MODEL, { intraOpThreads: 1 });
  const tmp = mkdtempSync(join(tmpdir(), 'bench-choice-'));
  try {
    const still = join(tmp, 'jam13.mp4');
    const enc = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-loop', '1', '-i', join(MEDIA, 'trancos_jam_cam1_000013.jpg'), '-t', String(SECONDS), '-r', '1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', still], { encoding: 'utf8' });
    if (enc.status !== 0) throw new Error(`ffmpeg: ${enc.stderr}`);
    const inputs = [
      { file: still, label: 'distant still 000013' },
      { file: join(MEDIA, 'bgs_highway_cctv_video02.avi'), label: 'near clip bgs highway' },
    ];
    // Warm-up (JIT, onnxruntime arenas).
    await cost(det, inputs[1].file, new FixedDetectStrategy(1));
    const results: BenchResult[] = [];
    for (const input of inputs) {
      const one = await cost(det, input.file, new FixedDetectStrategy(1));
      const auto = await cost(det, input.file, new AutoDetectStrategy());
      results.push({
        group: 'vision',
        name: `detector ms/scored frame, auto: ${input.label}`,
        value: round(auto.msPerFrame),
        unit: 'ms',
        better: 'lower',
        baseline: { name: 'single pass', value: round(one.msPerFrame) },
        note: `${round(auto.passesPerFrame)} passes/frame (single pass ${round(one.passesPerFrame)}), ${auto.frames} frames at 1 frame/s incl. probes; last level auto ${auto.level}, single ${one.level}`,
      });
    }
    return results;
  } finally {
    await det.close();
    rmSync(tmp, { recursive: true, force: true });
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
