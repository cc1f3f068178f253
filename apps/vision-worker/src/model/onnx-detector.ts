import { access, readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { assertRgbFrame, type RgbFrame } from '../frames/rgb-frame';
import { VisionError } from '../vision-error';
import type { Detection } from './detection';
import { DEFAULT_NMS_IOU, nms } from './nms';
import { letterbox, MODEL_INPUT_SIZE, unletterboxBox, type CropRect } from './preprocess';
import { tileRects } from './tiling';
import { decodeYolox, YOLOX_ROW, yoloxPointCount } from './yolox-decode';

/** Lowest box score kept by default (YOLOX demo uses 0.3; ByteTrack's low pass wants lower, see tracker). */
export const DEFAULT_SCORE_THRESHOLD = 0.3;
/** A tile box closer than this (px) to an inner tile edge is cut by the tile and left to the neighbour. */
const TILE_EDGE_PX = 2;

export interface DetectOptions {
  scoreThreshold?: number;
  nmsIou?: number;
  /** 1 = whole frame; 2 or 3 = also an n×n grid of overlapping tiles, merged by a global NMS. */
  tiles?: 1 | 2 | 3;
}

/**
 * YOLOX-Nano on onnxruntime's CPU provider. The only file that imports onnxruntime-node.
 * One session per detector; `detect()` calls are serialised by the caller (the session is reused).
 */
export class OnnxDetector {
  private closed = false;
  private readonly input: Float32Array;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly inputName: string,
    private readonly outputName: string,
    readonly inputSize: number,
  ) {
    this.input = new Float32Array(3 * inputSize * inputSize);
  }

  /** Loads the model; VISION_MODEL_NOT_FOUND / VISION_MODEL_UNREADABLE / VISION_MODEL_SHAPE on failure. */
  static async load(path: string, opts: { intraOpThreads?: number } = {}): Promise<OnnxDetector> {
    try {
      await access(path);
    } catch (cause) {
      throw new VisionError('VISION_MODEL_NOT_FOUND', `model file not found: ${path} (run: npm run vision:download-model)`, { cause });
    }
    let session: ort.InferenceSession;
    try {
      const bytes = await readFile(path);
      session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: opts.intraOpThreads ?? 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
    } catch (cause) {
      throw new VisionError('VISION_MODEL_UNREADABLE', `cannot load ONNX model ${path}: ${(cause as Error).message}`, { cause });
    }
    const inputName = session.inputNames[0];
    const outputName = session.outputNames[0];
    const detector = new OnnxDetector(session, inputName, outputName, MODEL_INPUT_SIZE);
    // One warm-up run checks the output shape against YOLOX's [1, points, 85].
    const probe = await detector.runTensor(detector.input.fill(114)).catch((cause: unknown) => {
      void session.release();
      throw new VisionError('VISION_MODEL_UNREADABLE', `model ${path} does not run on a 416×416 input: ${(cause as Error).message}`, { cause });
    });
    if (probe.length !== yoloxPointCount(MODEL_INPUT_SIZE) * YOLOX_ROW) {
      await session.release();
      throw new VisionError('VISION_MODEL_SHAPE', `model ${path} output has ${probe.length} values, expected [1,${yoloxPointCount(MODEL_INPUT_SIZE)},${YOLOX_ROW}]`);
    }
    return detector;
  }

  async detect(frame: RgbFrame, opts: DetectOptions = {}): Promise<Detection[]> {
    if (this.closed) throw new VisionError('VISION_INFERENCE_FAILED', 'detector is closed');
    assertRgbFrame(frame);
    const threshold = opts.scoreThreshold ?? DEFAULT_SCORE_THRESHOLD;
    const tiles = opts.tiles ?? 1;
    const all: Detection[] = [];
    for (const [i, rect] of tileRects(frame.width, frame.height, tiles).entries()) {
      const found = await this.detectCrop(frame, rect, threshold);
      all.push(...(i === 0 ? found : found.filter((d) => !touchesInnerEdge(d, rect, frame))));
    }
    return nms(all, opts.nmsIou ?? DEFAULT_NMS_IOU);
  }

  /** Raw inference on a prepared [1,3,size,size] tensor; exposed for the benchmark. */
  async runTensor(tensor: Float32Array): Promise<Float32Array> {
    const size = this.inputSize;
    try {
      const feeds = { [this.inputName]: new ort.Tensor('float32', tensor, [1, 3, size, size]) };
      const result = await this.session.run(feeds);
      return result[this.outputName].data as Float32Array;
    } catch (cause) {
      throw new VisionError('VISION_INFERENCE_FAILED', `inference failed: ${(cause as Error).message}`, { cause });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.release();
  }

  private async detectCrop(frame: RgbFrame, rect: CropRect, threshold: number): Promise<Detection[]> {
    const lb = letterbox(frame, this.inputSize, rect, this.input);
    const out = await this.runTensor(lb.tensor);
    return nmsInCrop(decodeYolox(out, this.inputSize, threshold)).map((d) => unletterboxBox(d, lb, rect));
  }
}

function nmsInCrop(dets: Detection[]): Detection[] {
  return dets.length > 1 ? nms(dets, DEFAULT_NMS_IOU) : dets;
}

function touchesInnerEdge(d: Detection, rect: CropRect, frame: RgbFrame): boolean {
  return (
    (rect.x > 0 && d.x1 - rect.x < TILE_EDGE_PX) ||
    (rect.y > 0 && d.y1 - rect.y < TILE_EDGE_PX) ||
    (rect.x + rect.width < frame.width && rect.x + rect.width - d.x2 < TILE_EDGE_PX) ||
    (rect.y + rect.height < frame.height && rect.y + rect.height - d.y2 < TILE_EDGE_PX)
  );
}
