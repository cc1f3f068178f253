import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readImageFile } from '../frames/image-file';
import { focusAsInput } from './focus-input';
import { freeYoloxDims } from './free-dims';
import { OnnxDetector } from './onnx-detector';
import { canvasFor, letterboxInto } from './preprocess';

const MODEL = resolve(process.cwd(), '../shared/models/yolox_nano.onnx');
const MEDIA = resolve(process.cwd(), '../shared/media/traffic');

/** A CHW tensor as YOLOX's Focus layer stacks it: x[::2, ::2], x[1::2, ::2], x[::2, 1::2], x[1::2, 1::2] per channel. */
function focusOf(chw: Float32Array, width: number, height: number): Float32Array {
  const out = new Float32Array(chw.length);
  const [w2, h2] = [width / 2, height / 2];
  [[0, 0], [1, 0], [0, 1], [1, 1]].forEach(([dy, dx], part) => {
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < h2; y++) {
        for (let x = 0; x < w2; x++) out[(part! * 3 + c) * w2 * h2 + y * w2 + x] = chw[c * width * height + (2 * y + dy!) * width + 2 * x + dx!]!;
      }
    }
  });
  return out;
}

const same = (a: Float32Array, b: Float32Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('focusAsInput (YOLOX Focus layer fed by the letterbox)', () => {
  it('the rewritten model drops the 8 Slices and the Concat and gives the freed model output bit for bit at 416², 768×448 and 416×256', async () => {
    const freed = freeYoloxDims(await readFile(MODEL))!;
    const focused = focusAsInput(freed);
    expect(focused?.parts).toEqual([[0, 0], [1, 0], [0, 1], [1, 1]]);
    expect(freed.includes('Slice')).toBe(true);
    expect(focused!.model.includes('Slice')).toBe(false);
    const opts = { intraOpNumThreads: 1, graphOptimizationLevel: 'all' as const };
    const [plain, fed] = await Promise.all([ort.InferenceSession.create(freed, opts), ort.InferenceSession.create(focused!.model, opts)]);
    try {
      expect(fed.inputNames).toHaveLength(1);
      for (const [w, h] of [[416, 416], [768, 448], [416, 256]] as const) {
        const x = new Float32Array(3 * w * h).map((_, i) => (i * 7919) % 255);
        const a = (await plain.run({ [plain.inputNames[0]!]: new ort.Tensor('float32', x, [1, 3, h, w]) }))[plain.outputNames[0]!]!;
        const b = (await fed.run({ [fed.inputNames[0]!]: new ort.Tensor('float32', focusOf(x, w, h), [1, 12, h / 2, w / 2]) }))[fed.outputNames[0]!]!;
        expect(b.dims, `${w}×${h}`).toEqual(a.dims);
        expect(same(a.data as Float32Array, b.data as Float32Array), `${w}×${h}`).toBe(true);
      }
    } finally {
      await Promise.all([plain.release(), fed.release()]);
    }
  });

  it('letterboxInto() with the Focus layout writes the same values as the CHW letterbox, in the Focus order, padding included', () => {
    const frame = { width: 1280, height: 720, data: Buffer.alloc(1280 * 720 * 3) };
    for (let i = 0; i < frame.data.length; i++) frame.data[i] = (i * 7919 + (i >> 11)) & 255;
    const crop = { x: 40, y: 20, width: 1201, height: 677 };
    for (const scale of [0.325, 0.584, 1.169]) {
      const cv = canvasFor(crop.width, crop.height, scale);
      const chw = letterboxInto(frame, scale, cv.width, cv.height, crop).tensor;
      const fed = letterboxInto(frame, scale, cv.width, cv.height, crop, new Float32Array(chw.length).fill(-1), [[0, 0], [1, 0], [0, 1], [1, 1]]);
      expect(same(fed.tensor, focusOf(chw, cv.width, cv.height)), `scale ${scale}`).toBe(true);
    }
    expect(() => letterboxInto(frame, 0.3, 418, 255, undefined, undefined, [[0, 0], [1, 0], [0, 1], [1, 1]])).toThrow(RangeError);
  });

  it('OnnxDetector feeds the Focus layer by default and detects exactly what the graph as exported does (one pass and tiles 2)', async () => {
    const [fed, exported] = await Promise.all([OnnxDetector.load(MODEL), OnnxDetector.load(MODEL, { focusInput: false })]);
    try {
      expect(fed.focus).not.toBeNull();
      expect(exported.focus).toBeNull();
      for (const name of ['vn_dense_8004.jpg', 'trancos_jam_cam1_000042.jpg']) {
        const frame = await readImageFile(join(MEDIA, name));
        for (const tiles of [1, 2] as const) {
          expect(await fed.detect(frame, { scoreThreshold: 0.15, tiles }), `${name} tiles ${tiles}`).toEqual(await exported.detect(frame, { scoreThreshold: 0.15, tiles }));
        }
      }
    } finally {
      await Promise.all([fed.close(), exported.close()]);
    }
  });

  it('bytes without that first layer give null (the detector feeds the 3-channel picture)', async () => {
    expect(focusAsInput(Buffer.from('this is not a protobuf model'.repeat(10)))).toBeNull();
    expect(focusAsInput(Buffer.alloc(0))).toBeNull();
    // A graph whose first layer is already gone (the rewrite applied twice) is not rewritten again.
    const once = focusAsInput(freeYoloxDims(await readFile(MODEL))!)!;
    expect(focusAsInput(once.model)).toBeNull();
  });
});
