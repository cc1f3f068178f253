import { access, readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { assertRgbFrame, type RgbFrame } from '../frames/rgb-frame';
import { VisionError } from '../vision-error';
import type { Detection } from './detection';
import { DEFAULT_NMS_IOU, nms } from './nms';
import { focusAsInput, type FocusParts } from './focus-input';
import { freeYoloxDims } from './free-dims';
import { canvasFor, letterbox, letterboxInto, MODEL_INPUT_SIZE, unletterboxBox, type CropRect } from './preprocess';
import { gridRects, tileRects } from './tiling';
import { decodeYolox, YOLOX_ROW, yoloxPointCount } from './yolox-decode';

/** Lowest box score kept by default (YOLOX demo uses 0.3; ByteTrack's low pass wants lower, see tracker). */
export const DEFAULT_SCORE_THRESHOLD = 0.3;
/** A tile box closer than this (px) to an inner tile edge is cut by the tile and left to the neighbour. */
const TILE_EDGE_PX = 2;
/** Input tensors kept for reuse, one per canvas size (a channel uses one or two; stills and ROI crops vary). */
const MAX_CACHED_INPUTS = 8;

export interface DetectOptions {
  scoreThreshold?: number;
  nmsIou?: number;
  /**
   * 1 = whole frame; 2 or 3 = also an n×n grid of overlapping tiles, merged by a global NMS. With the model's input
   * shape freed (the usual case) the grid runs as one input: the whole frame at the tiles' scale (see `detect`).
   */
  tiles?: 1 | 2 | 3;
}

export interface DetectorLoadOptions {
  /** onnxruntime intra-op threads (VISION_THREADS); default 1. */
  intraOpThreads?: number;
  /**
   * Free the model's fixed 1×3×416×416 input (free-dims.ts) so crops run on canvases of their own aspect and the
   * tile grid as one input; default true. False, or a model the rewrite does not understand: one 416² input per crop.
   */
  freeShape?: boolean;
  /**
   * Feed YOLOX's first layer (Focus: the four pixel parities stacked as 12 channels) from the letterbox instead of
   * the graph's eight Slices and Concat (focus-input.ts): same output bit for bit, ~6–9 % less inference time;
   * default true. False, or a graph that does not start with that layer: the 3-channel picture as exported.
   */
  focusInput?: boolean;
}

/**
 * YOLOX-Nano on onnxruntime's CPU provider. The only file that imports onnxruntime-node.
 * One session per detector; `detect()` calls are serialised by the caller (the session is reused).
 */
export class OnnxDetector {
  private closed = false;
  private readonly inputs = new Map<string, Float32Array>();

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly inputName: string,
    private readonly outputName: string,
    readonly inputSize: number,
    /** The model takes any multiple-of-32 input (free-dims.ts); false: 416×416 only. */
    readonly freeShape: boolean,
    /** The input is YOLOX's Focus layout `[1,12,h/2,w/2]` in these parity blocks (focus-input.ts); null: `[1,3,h,w]`. */
    readonly focus: FocusParts | null,
  ) {}

  /** Loads the model; VISION_MODEL_NOT_FOUND / VISION_MODEL_UNREADABLE / VISION_MODEL_SHAPE on failure. */
  static async load(path: string, opts: DetectorLoadOptions = {}): Promise<OnnxDetector> {
    try {
      await access(path);
    } catch (cause) {
      throw new VisionError('VISION_MODEL_NOT_FOUND', `model file not found: ${path} (run: npm run vision:download-model)`, { cause });
    }
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (cause) {
      throw new VisionError('VISION_MODEL_UNREADABLE', `cannot read ONNX model ${path}: ${(cause as Error).message}`, { cause });
    }
    const freed = opts.freeShape === false ? null : freeYoloxDims(bytes);
    if (freed) {
      // The rewritten model must give the same 416² output and run a 16:9 canvas; otherwise the file as it is.
      const free = await OnnxDetector.open(path, freed, opts, true).catch(() => null);
      if (free && (await free.runsCanvas())) return free;
      await free?.close();
    }
    return OnnxDetector.open(path, bytes, opts, false);
  }

  /** The model with its Focus layer fed by the letterbox when that rewrite applies and runs, else as it is. */
  private static async open(path: string, bytes: Uint8Array, opts: DetectorLoadOptions, freeShape: boolean): Promise<OnnxDetector> {
    const focused = opts.focusInput === false ? null : focusAsInput(bytes);
    if (focused) {
      const detector = await OnnxDetector.openAs(path, focused.model, opts, freeShape, focused.parts).catch(() => null);
      if (detector) return detector;
    }
    return OnnxDetector.openAs(path, bytes, opts, freeShape, null);
  }

  private static async openAs(path: string, bytes: Uint8Array, opts: DetectorLoadOptions, freeShape: boolean, focus: FocusParts | null): Promise<OnnxDetector> {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: opts.intraOpThreads ?? 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        enableCpuMemArena: true,
      });
    } catch (cause) {
      throw new VisionError('VISION_MODEL_UNREADABLE', `cannot load ONNX model ${path}: ${(cause as Error).message}`, { cause });
    }
    const inputName = session.inputNames[0];
    const outputName = session.outputNames[0];
    const detector = new OnnxDetector(session, inputName, outputName, MODEL_INPUT_SIZE, freeShape, focus);
    // One warm-up run checks the output shape against YOLOX's [1, points, 85].
    const size = MODEL_INPUT_SIZE;
    const probe = await detector.runInput(detector.inputFor(size, size).fill(114), size, size).catch((cause: unknown) => {
      void session.release();
      throw new VisionError('VISION_MODEL_UNREADABLE', `model ${path} does not run on a 416×416 input: ${(cause as Error).message}`, { cause });
    });
    if (probe.length !== yoloxPointCount(MODEL_INPUT_SIZE) * YOLOX_ROW) {
      await session.release();
      throw new VisionError('VISION_MODEL_SHAPE', `model ${path} output has ${probe.length} values, expected [1,${yoloxPointCount(MODEL_INPUT_SIZE)},${YOLOX_ROW}]`);
    }
    return detector;
  }

  /** Whether a 416×256 input runs and gives the points of that canvas. */
  private async runsCanvas(): Promise<boolean> {
    const [w, h] = [MODEL_INPUT_SIZE, 256];
    try {
      const out = await this.runInput(this.inputFor(w, h).fill(114), w, h);
      return out.length === yoloxPointCount(w, h) * YOLOX_ROW;
    } catch {
      return false;
    }
  }

  /**
   * Boxes in frame pixels, best first. The whole frame runs letterboxed to 416 on its long side; with `tiles` n > 1 the
   * n×n grid of overlapping tiles (tiling.ts) runs too. On a freed model the grid is one input — the whole frame at
   * the tiles' letterbox scale, on a canvas rounded up to 32 (1280×720, n = 2: 748×421 on 768×448) — which sees every
   * tile's pixels at the tiles' scale without the overlap computed twice or vehicles cut at inner tile edges, for 2.0
   * square inputs' time instead of 4; otherwise each tile is its own 416² input and boxes cut by an inner edge drop.
   */
  async detect(frame: RgbFrame, opts: DetectOptions = {}): Promise<Detection[]> {
    if (this.closed) throw new VisionError('VISION_INFERENCE_FAILED', 'detector is closed');
    assertRgbFrame(frame);
    const threshold = opts.scoreThreshold ?? DEFAULT_SCORE_THRESHOLD;
    const tiles = opts.tiles ?? 1;
    const all: Detection[] = [];
    if (this.freeShape) {
      const whole: CropRect = { x: 0, y: 0, width: frame.width, height: frame.height };
      const size = this.inputSize;
      // One pass keeps the square 416² canvas, so what it detects does not change (a 16:9 frame on 416×256 costs 0.6 of
      // the time, but the smaller padding below the picture moves a few weak boxes either way). Beside the tile grid,
      // which sees the same pixels at 1.8× the scale, the whole frame runs on its own canvas.
      const wholeScale = Math.min(size / frame.height, size / frame.width);
      all.push(...(await this.detectCrop(frame, whole, threshold, tiles > 1 ? wholeScale : undefined)));
      if (tiles > 1) {
        const tile = gridRects(whole, tiles)[0];
        all.push(...(await this.detectCrop(frame, whole, threshold, Math.min(size / tile.height, size / tile.width))));
      }
      return nms(all, opts.nmsIou ?? DEFAULT_NMS_IOU);
    }
    for (const [i, rect] of tileRects(frame.width, frame.height, tiles).entries()) {
      const found = await this.detectCrop(frame, rect, threshold);
      all.push(...(i === 0 ? found : found.filter((d) => !touchesInnerEdge(d, rect, frame))));
    }
    return nms(all, opts.nmsIou ?? DEFAULT_NMS_IOU);
  }

  /** Raw inference on a prepared 416² tensor (`letterbox(…, focus)` of this detector's layout); exposed for the benchmark. */
  runTensor(tensor: Float32Array): Promise<Float32Array> {
    return this.runInput(tensor, this.inputSize, this.inputSize);
  }

  /**
   * Raw inference on a prepared `height`×`width` picture (any multiple of 32 when `freeShape`): a [1,3,height,width]
   * tensor, or [1,12,height/2,width/2] in the Focus layout when `focus` is set.
   */
  async runInput(tensor: Float32Array, width: number, height: number): Promise<Float32Array> {
    try {
      const dims = this.focus ? [1, 12, height / 2, width / 2] : [1, 3, height, width];
      const feeds = { [this.inputName]: new ort.Tensor('float32', tensor, dims) };
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

  /**
   * One inference on a crop: at `scale` on a canvas rounded up to 32 (freed model), else letterboxed into 416² at
   * YOLOX's own scale.
   */
  private async detectCrop(frame: RgbFrame, rect: CropRect, threshold: number, scale?: number): Promise<Detection[]> {
    const size = this.inputSize;
    const canvas = scale !== undefined && this.freeShape ? canvasFor(rect.width, rect.height, scale) : { width: size, height: size };
    const input = this.inputFor(canvas.width, canvas.height);
    const focus = this.focus ?? undefined;
    const lb =
      scale !== undefined && this.freeShape
        ? letterboxInto(frame, scale, canvas.width, canvas.height, rect, input, focus)
        : letterbox(frame, size, rect, input, focus);
    const out = await this.runInput(lb.tensor, canvas.width, canvas.height);
    return nmsInCrop(decodeYolox(out, canvas.width, threshold, canvas.height)).map((d) => unletterboxBox(d, lb, rect));
  }

  /** The reused input tensor for a canvas size. */
  private inputFor(width: number, height: number): Float32Array {
    const key = `${width}x${height}`;
    let t = this.inputs.get(key);
    if (!t) {
      if (this.inputs.size >= MAX_CACHED_INPUTS) this.inputs.clear();
      t = new Float32Array(3 * width * height);
      this.inputs.set(key, t);
    }
    return t;
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
