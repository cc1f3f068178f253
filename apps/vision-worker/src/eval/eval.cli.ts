/**
 * Offline evaluation: scores a video file, an image file or every image/video in a folder, printing one
 * JSON line per scored frame and ROI on stdout. With no input (or `--suite <dir>`) it runs the labelled
 * evaluation set instead and prints its table (suite.ts, docs/congestion-eval.md). Errors go to stderr as
 * `CODE: message`; exit 1 when anything failed, 2 on a usage error. Kept free of Nest DI (tsx has no
 * decorator metadata).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { findFfmpeg } from '@gb/runtime';
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { CongestionScore, Roi } from '../contracts';
import { FfmpegFrameSource } from '../frames/ffmpeg-frame-source';
import { IMAGE_EXTENSIONS, readImageFile } from '../frames/image-file';
import { resolveModelPath } from '../model/model-path';
import { OnnxDetector } from '../model/onnx-detector';
import { channelPipeline } from '../pipeline/channel-pipeline';
import { AutoDetectStrategy } from '../pipeline/auto-detect-strategy';
import { OsdMaskLearner } from '../pipeline/osd-mask';
import { FramePipeline, type FrameResult } from '../pipeline/frame-pipeline';
import type { RgbFrame } from '../frames/rgb-frame';
import { isVisionError, VisionError } from '../vision-error';
import { parseEvalArgs, type EvalArgs } from './eval-args';
import { readRoiFile } from './roi-file';
import { formatSuiteReport, runSuite, SUITE_STILL_MAX_WIDTH } from './suite';
import { loadSuite } from './suite-file';

/** Widest still image fed to the detector (1920-wide stills are downsized first, like video). */
const STILL_MAX_WIDTH = SUITE_STILL_MAX_WIDTH;

function line(s: CongestionScore, file: string | undefined, boxes: unknown[] | undefined): string {
  const { t, roi, index, level, vehicles, persons, ...rest } = s;
  return JSON.stringify({ t: Math.round(t * 1000) / 1000, roi, index, level, vehicles, persons, ...(file ? { file } : {}), ...rest, ...(boxes ? { boxes } : {}) });
}

function boxesOf(r: FrameResult, frame: RgbFrame, wanted: boolean): unknown[] | undefined {
  if (!wanted) return undefined;
  const q = (v: number): number => Math.round(v * 10000) / 10000;
  return r.detections.map((d) => [d.label, q(d.score), q(d.x1 / frame.width), q(d.y1 / frame.height), q(d.x2 / frame.width), q(d.y2 / frame.height)]);
}

async function listInputs(input: string): Promise<{ files: string[]; folder: boolean }> {
  let st;
  try {
    st = await stat(input);
  } catch {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) return { files: [input], folder: false };
    throw new VisionError('VISION_USAGE', `input not found: ${input}`);
  }
  if (!st.isDirectory()) return { files: [input], folder: false };
  const names = (await readdir(input)).filter((n) => !n.startsWith('.')).sort();
  const files = names.map((n) => join(input, n)).filter((p) => !['.xml', '.json', '.txt', '.md'].includes(extname(p).toLowerCase()));
  return { files, folder: true };
}

async function scoreFile(detector: OnnxDetector, file: string, args: EvalArgs, rois: Roi[] | undefined, tag?: string): Promise<void> {
  if (IMAGE_EXTENSIONS.has(extname(file).toLowerCase())) {
    const frame = await readImageFile(file, { maxWidth: STILL_MAX_WIDTH });
    const choice = args.tiles ? { stillTiles: args.tiles } : { detectStrategy: new AutoDetectStrategy() };
    const r = await new FramePipeline(detector, { rois, osd: new OsdMaskLearner(), ...choice }).processStill(frame);
    for (const s of r.scores) process.stdout.write(line(s, tag, boxesOf(r, frame, args.boxes)) + '\n');
    return;
  }
  // Video is scored as a live channel is: automatic detector choice (unless --tiles), fixtures, OSD finding.
  const pipeline = channelPipeline(detector, { rois, tiles: args.tiles ?? 'auto' });
  const source = new FfmpegFrameSource(file, { fps: args.fps });
  try {
    for await (const { t, frame } of source) {
      const r = await pipeline.processVideoFrame(frame, t);
      for (const s of r.scores) process.stdout.write(line(s, tag, boxesOf(r, frame, args.boxes)) + '\n');
    }
  } finally {
    source.close();
  }
}

/** Runs a labelled suite and prints its table; exit 1 when a sequence missed its expectation. */
async function suiteCommand(detector: OnnxDetector, dir: string, args: EvalArgs): Promise<number> {
  const ffmpeg = findFfmpeg();
  if (!ffmpeg) throw new VisionError('VISION_DECODER_MISSING', 'ffmpeg not found: install ffmpeg (apt-get install -y ffmpeg), set FFMPEG_PATH, or npm i @ffmpeg-installer/ffmpeg');
  const suite = await loadSuite(dir);
  const tmp = await mkdtemp(join(tmpdir(), 'vision-suite-'));
  try {
    process.stderr.write(`suite ${dir}: ${suite.frames.length} frames, ${suite.sequences.length} sequences\n`);
    const report = await runSuite(detector, suite, {
      ffmpeg, tmpDir: tmp, ...(args.tiles ? { stillTiles: args.tiles, videoTiles: args.tiles } : {}),
      onProgress: (l) => process.stderr.write(l + '\n'),
    });
    process.stdout.write(formatSuiteReport(report));
    return report.sequences.every((s) => s.ok) ? 0 : 1;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  let detector: OnnxDetector | undefined;
  try {
    const args = parseEvalArgs(argv);
    if (args.suite !== undefined) {
      await loadSuite(args.suite); // a malformed suite is a usage error before the model loads
      detector = await OnnxDetector.load(resolveModelPath(args.model));
      return await suiteCommand(detector, args.suite, args);
    }
    const rois = args.rois ? await readRoiFile(args.rois) : undefined;
    const { files, folder } = await listInputs(args.input!);
    detector = await OnnxDetector.load(resolveModelPath(args.model));
    let failed = 0;
    for (const file of files) {
      try {
        await scoreFile(detector, file, args, rois, folder ? basename(file) : undefined);
      } catch (e) {
        if (!isVisionError(e)) throw e;
        failed++;
        process.stderr.write(`${e.code}: ${e.message}\n`);
      }
    }
    return failed > 0 ? 1 : 0;
  } catch (e) {
    if (isVisionError(e)) {
      process.stderr.write(`${e.code}: ${e.message}\n`);
      return e.code === 'VISION_USAGE' ? 2 : 1;
    }
    process.stderr.write(`internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  } finally {
    await detector?.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
