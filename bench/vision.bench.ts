import { resolve } from 'node:path';
import { FfmpegFrameSource } from '../apps/vision-worker/src/frames/ffmpeg-frame-source';
import { OnnxDetector } from '../apps/vision-worker/src/model/onnx-detector';
import { letterbox } from '../apps/vision-worker/src/model/preprocess';
import { FramePipeline } from '../apps/vision-worker/src/pipeline/frame-pipeline';
import type { BenchResult } from './bench-result';

const MODEL = resolve(process.cwd(), '../shared/models/yolox_nano.onnx');
const CLIP = resolve(process.cwd(), '../shared/media/traffic/bgs_highway_cctv_video02.avi');

/**
 * Raw YOLOX-Nano inference rate on one intra-op thread, and end-to-end rate (ffmpeg decode of a clip at
 * its native 25 fps, letterbox, inference, decode + NMS, tracking, scoring) with one inference thread.
 */
export async function run(): Promise<BenchResult[]> {
  const det = await OnnxDetector.load(MODEL, { intraOpThreads: 1 });
  try {
    const frame = { width: 640, height: 480, data: Buffer.alloc(640 * 480 * 3, 90) };
    const tensor = letterbox(frame).tensor;
    for (let i = 0; i < 5; i++) await det.runTensor(tensor);
    const n = 60;
    let t0 = performance.now();
    for (let i = 0; i < n; i++) await det.runTensor(tensor);
    const raw = (n * 1000) / (performance.now() - t0);

    const pipeline = new FramePipeline(det);
    const src = new FfmpegFrameSource(CLIP, { fps: 25 });
    let frames = 0;
    t0 = performance.now();
    for await (const { t, frame: f } of src) {
      await pipeline.processVideoFrame(f, t);
      if (++frames >= 150) break;
    }
    src.close();
    const e2e = (frames * 1000) / (performance.now() - t0);
    return [
      { group: 'vision', name: 'YOLOX-Nano inference, 1 thread', value: round(raw), unit: 'frames/s', target: 30, note: `${round(1000 / raw)} ms/frame` },
      { group: 'vision', name: 'end to end (ffmpeg decode 320×240, detect, track, score), 1 inference thread', value: round(e2e), unit: 'frames/s', target: 30, note: `${frames} frames` },
    ];
  } finally {
    await det.close();
  }
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

if (require.main === module) {
  run().then((r) => console.log(JSON.stringify(r, null, 1)));
}
