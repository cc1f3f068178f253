/**
 * Measures what each detector choice changes on the shared media through the live path (detect → track →
 * score, FramePipeline.processVideoFrame): one pass, CLAHE, tiles over the ROIs, the ROIs as a larger input,
 * and the automatic choice. Stills are looped as video (`ffmpeg -loop 1 -t 20 -r 1`); clips run at 1 frame/s.
 * Prints one markdown row per input and variant: the last frame (stills) or the level counts (clips), the
 * detector passes and milliseconds per scored frame. The figures of docs/decisions/congestion-detector-choice.md.
 *
 *   npx tsx apps/vision-worker/src/eval/detector-choice.cli.ts [--only <substring>] [--variants a,b]
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CongestionScore, DetectorChoice, Roi } from '../contracts';
import { FfmpegFrameSource } from '../frames/ffmpeg-frame-source';
import type { RgbFrame } from '../frames/rgb-frame';
import { OnnxDetector } from '../model/onnx-detector';
import { gridRects } from '../model/tiling';
import { AutoDetectStrategy } from '../pipeline/auto-detect-strategy';
import type { DetectContext, DetectStrategy } from '../pipeline/detect-strategy';
import { passCount, roiRegion, runPasses, wholeFrame, type PassPlan } from '../pipeline/detect-passes';
import { FramePipeline, type FrameDetector } from '../pipeline/frame-pipeline';

const MEDIA = resolve(process.cwd(), '../shared/media/traffic');
const MODEL = resolve(process.cwd(), '../shared/models/yolox_nano.onnx');

/** The queued carriageway of TRANCOS cam1 (000013): the left lanes from the bottom-left corner to the horizon. */
export const CAM1_QUEUE_ROI: Roi = { id: 'queue', polygon: [[0, 0.78], [0.52, 0.33], [0.6, 0.33], [0.64, 0.45], [0.24, 0.98], [0, 0.98]] };
/** The picture area of the simulated distant camera (the jam still at half size in the middle of the frame). */
export const SIM_PICTURE_ROI: Roi = { id: 'picture', polygon: [[0.25, 0.25], [0.75, 0.25], [0.75, 0.75], [0.25, 0.75]] };

interface Input {
  name: string;
  /** ffmpeg input arguments making the clip (1 frame/s); a clip of the shared media is read as it is. */
  ffmpeg: string[];
  file?: string;
  still: boolean;
  rois?: Roi[];
}

const still = (file: string): string[] => ['-loop', '1', '-i', join(MEDIA, file), '-t', '20', '-r', '1'];
/** A recording made here: the jam still at half size in the middle of a grey frame, hazed (a distant, hazy camera). */
const SIM_DISTANT = ['-loop', '1', '-i', join(MEDIA, 'trancos_jam_cam1_000042.jpg'), '-t', '20', '-r', '1', '-vf', 'scale=320:240,pad=640:480:160:120:color=0x808080,eq=contrast=0.5:brightness=0.2'];

export const INPUTS: Input[] = [
  ...['cam1_000013', 'cam1_000042', 'cam1_000165', 'cam1_000246', 'cam1_000378', 'cam3_000307'].map((id) => ({ name: `jam ${id}`, ffmpeg: still(`trancos_jam_${id}.jpg`), still: true })),
  { name: 'jam cam1_000013, queue ROI', ffmpeg: still('trancos_jam_cam1_000013.jpg'), still: true, rois: [CAM1_QUEUE_ROI] },
  { name: 'sim distant hazy 000042', ffmpeg: SIM_DISTANT, still: true },
  { name: 'sim distant hazy 000042, picture ROI', ffmpeg: SIM_DISTANT, still: true, rois: [SIM_PICTURE_ROI] },
  { name: 'free bgs highway', ffmpeg: [], file: join(MEDIA, 'bgs_highway_cctv_video02.avi'), still: false },
  { name: 'free intel car park', ffmpeg: [], file: join(MEDIA, 'intel_car-detection.mp4'), still: false },
];

/** A fixed pass plan, for measuring one option alone. */
class PlanStrategy implements DetectStrategy {
  private passes = 1;
  constructor(private readonly name: string, private readonly plan: (frame: RgbFrame, rois: readonly Roi[]) => PassPlan) {}
  async detect(detector: FrameDetector, frame: RgbFrame, ctx: DetectContext) {
    const plan = this.plan(frame, ctx.rois);
    this.passes = passCount(plan);
    return runPasses(detector, frame, plan, ctx.scoreThreshold);
  }
  choice(): DetectorChoice {
    return { tiles: 1, region: 'frame', enhance: 'none', passes: this.passes, reason: this.name, contrast: null, vehicleSize: null };
  }
  reset(): void {}
}

const W = wholeFrame;
export const VARIANTS: Record<string, () => DetectStrategy> = {
  'one pass': () => new PlanStrategy('one pass', (f) => ({ plain: [W(f)], enhanced: [] })),
  'CLAHE instead': () => new PlanStrategy('clahe', (f) => ({ plain: [], enhanced: [W(f)] })),
  'one pass + CLAHE pass': () => new PlanStrategy('clahe+', (f) => ({ plain: [W(f)], enhanced: [W(f)] })),
  'ROI as input (zoom)': () => new PlanStrategy('zoom', (f, r) => ({ plain: [W(f), roiRegion(r, f.width, f.height)], enhanced: [] })),
  'tiles 2 over ROIs': () => new PlanStrategy('t2', (f, r) => ({ plain: [W(f), ...gridRects(roiRegion(r, f.width, f.height), 2)], enhanced: [] })),
  'tiles 2 over ROIs + CLAHE': () => new PlanStrategy('t2c', (f, r) => ({ plain: [W(f)], enhanced: [...gridRects(roiRegion(r, f.width, f.height), 2)] })),
  'tiles 3 over ROIs': () => new PlanStrategy('t3', (f, r) => ({ plain: [W(f), ...gridRects(roiRegion(r, f.width, f.height), 3)], enhanced: [] })),
  'one pass + mirrored pass': () => new PlanStrategy('flip', (f) => ({ plain: [W(f)], enhanced: [], mirrored: [W(f)] })),
  'tiles 2 + mirrored pass': () => new PlanStrategy('t2flip', (f, r) => ({ plain: [W(f), ...gridRects(roiRegion(r, f.width, f.height), 2)], enhanced: [], mirrored: [W(f)] })),
  'tiles 2 + mirrored tiles 2': () => new PlanStrategy('t2flip2', (f, r) => ({ plain: [W(f), ...gridRects(roiRegion(r, f.width, f.height), 2)], enhanced: [], mirrored: [W(f), ...gridRects(roiRegion(r, f.width, f.height), 2)] })),
  'tiles 3 + mirrored pass': () => new PlanStrategy('t3flip', (f, r) => ({ plain: [W(f), ...gridRects(roiRegion(r, f.width, f.height), 3)], enhanced: [], mirrored: [W(f)] })),
  'tiles 3 + mirrored tiles 3': () => new PlanStrategy('t3flip3', (f, r) => ({ plain: [W(f), ...gridRects(roiRegion(r, f.width, f.height), 3)], enhanced: [], mirrored: [W(f), ...gridRects(roiRegion(r, f.width, f.height), 3)] })),
  'tiles 2 + tiles 3': () => new PlanStrategy('t23', (f, r) => ({ plain: [W(f), ...gridRects(roiRegion(r, f.width, f.height), 2), ...gridRects(roiRegion(r, f.width, f.height), 3)], enhanced: [] })),
  auto: () => new AutoDetectStrategy(),
};

function summary(input: Input, scores: CongestionScore[][]): string {
  const last = scores.map((s) => s[0]).filter(Boolean);
  if (input.still) {
    const tail = last.slice(-5);
    const t = tail[tail.length - 1];
    return `${t.level} ${t.index} (${t.vehicles} veh); last 5: ${tail.map((s) => s.index).join('/')}`;
  }
  const n: Record<string, number> = {};
  for (const s of last) n[s.level] = (n[s.level] ?? 0) + 1;
  return `${Object.entries(n).map(([k, v]) => `${v} ${k}`).join(', ')} of ${last.length}`;
}

async function main(argv: string[]): Promise<void> {
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : '';
  const wanted = argv.includes('--variants') ? argv[argv.indexOf('--variants') + 1].split(',') : Object.keys(VARIANTS);
  const det = await OnnxDetector.load(MODEL);
  const tmp = await mkdtemp(join(tmpdir(), 'detector-choice-'));
  try {
    process.stdout.write('| input | variant | result | passes/frame | ms/frame | choice |\n|---|---|---|---|---|---|\n');
    for (const [i, input] of INPUTS.entries()) {
      if (only && !input.name.includes(only)) continue;
      const clip = input.file ?? join(tmp, `in${i}.mp4`);
      if (!input.file) {
        const enc = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...input.ffmpeg, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip], { encoding: 'utf8' });
        if (enc.status !== 0) throw new Error(enc.stderr);
      }
      for (const v of wanted) {
        const strategy = VARIANTS[v]();
        let calls = 0;
        const counting: FrameDetector = { detect: (f, o) => (calls++, det.detect(f, o)) };
        const pipeline = new FramePipeline(counting, { rois: input.rois, detectStrategy: strategy });
        const scores: CongestionScore[][] = [];
        let ms = 0;
        let last: DetectorChoice | null = null;
        const src = new FfmpegFrameSource(clip, { fps: 1 });
        for await (const { t, frame } of src) {
          const t0 = performance.now();
          const r = await pipeline.processVideoFrame(frame, t);
          ms += performance.now() - t0;
          last = r.scene.detector;
          scores.push(r.scores);
        }
        const n = scores.length;
        const choice = v === 'auto' && last ? `${last.tiles}/${last.region}/${last.enhance}: ${last.reason}` : '';
        process.stdout.write(`| ${input.name} | ${v} | ${summary(input, scores)} | ${(calls / n).toFixed(2)} | ${Math.round(ms / n)} | ${choice} |\n`);
      }
    }
  } finally {
    await det.close();
    await rm(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) void main(process.argv.slice(2));
