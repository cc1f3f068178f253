import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { FfmpegFrameSource } from '../apps/vision-worker/src/frames/ffmpeg-frame-source';
import { OnnxDetector } from '../apps/vision-worker/src/model/onnx-detector';
import { letterbox } from '../apps/vision-worker/src/model/preprocess';
import { FramePipeline } from '../apps/vision-worker/src/pipeline/frame-pipeline';
import type { BenchResult } from './bench-result';

const MODEL = resolve(process.cwd(), '../shared/models/yolox_nano.onnx');
const CLIPS = [
  { file: resolve(process.cwd(), '../shared/media/traffic/bgs_highway_cctv_video02.avi'), label: 'bgs highway 320×240' },
  { file: resolve(process.cwd(), '../shared/media/traffic/intel_car-detection.mp4'), label: 'intel car park 768×432 → 640×360' },
];
/** The CPU everything runs on (node, onnxruntime's one intra-op thread and the ffmpeg decoder it spawns). */
const PINNED_CPU = '0';

/**
 * Raw YOLOX-Nano inference rate on one intra-op thread, beside the end-to-end rate (ffmpeg decode of a
 * clip at its native rate, scale, letterbox, inference, decode + NMS, tracking, scoring). "On one core"
 * is enforced, not assumed: the measuring process re-runs itself under `taskset -c 0`, and the ffmpeg
 * decoder it spawns inherits the affinity, so decode and inference share that core.
 */
export async function run(): Promise<BenchResult[]> {
  if (spawnSync('taskset', ['-V']).status !== 0) throw new Error('taskset not found (Debian package util-linux): the vision bench pins itself to one core');
  const child = spawn('taskset', ['-c', PINNED_CPU, process.execPath, '--import', 'tsx', __filename, '--measure'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b) => (out += b));
  const code = await new Promise<number | null>((done) => child.on('close', done));
  if (code !== 0) throw new Error(`pinned vision bench exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop()!) as BenchResult[];
}

async function measure(): Promise<BenchResult[]> {
  const det = await OnnxDetector.load(MODEL, { intraOpThreads: 1 });
  try {
    const frame = { width: 640, height: 480, data: Buffer.alloc(640 * 480 * 3, 90) };
    const tensor = letterbox(frame).tensor;
    for (let i = 0; i < 5; i++) await det.runTensor(tensor);
    const n = 100;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await det.runTensor(tensor);
    const raw = (n * 1000) / (performance.now() - t0);
    const results: BenchResult[] = [
      { group: 'vision', name: 'YOLOX-Nano inference, 1 thread, pinned to 1 core', value: round(raw), unit: 'frames/s', target: 30, note: `${round(1000 / raw)} ms/frame` },
    ];
    for (const clip of CLIPS) {
      const pipeline = new FramePipeline(det);
      const src = new FfmpegFrameSource(clip.file, { fps: 25 });
      let frames = 0;
      const t1 = performance.now();
      for await (const { t, frame: f } of src) {
        await pipeline.processVideoFrame(f, t);
        if (++frames >= 200) break;
      }
      src.close();
      const e2e = (frames * 1000) / (performance.now() - t1);
      results.push({
        group: 'vision',
        name: `end to end on 1 core: ${clip.label}`,
        value: round(e2e),
        unit: 'frames/s',
        target: 30,
        baseline: { name: 'raw inference', value: round(raw) },
        note: `${frames} frames: ffmpeg decode + scale, letterbox, detect, track, score; ${round(1000 / e2e)} ms/frame`,
      });
    }
    return results;
  } finally {
    await det.close();
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
