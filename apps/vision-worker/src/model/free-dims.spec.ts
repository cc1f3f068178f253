import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { readImageFile } from '../frames/image-file';
import type { Detection } from './detection';
import { freeYoloxDims } from './free-dims';
import { OnnxDetector } from './onnx-detector';
import { yoloxPointCount, YOLOX_ROW } from './yolox-decode';

const MODEL = resolve(process.cwd(), '../shared/models/yolox_nano.onnx');
const MEDIA = resolve(process.cwd(), '../shared/media/traffic');

function input(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (i * 7919) % 255;
  return a;
}

/** Labelled boxes of vn_dense_8004.xml matched one-to-one at IoU ≥ 0.5 by the detections. */
function matched(found: readonly Detection[], xml: string): number {
  const gt = [...xml.matchAll(/<xmin>(\d+)<\/xmin>\s*<ymin>(\d+)<\/ymin>\s*<xmax>(\d+)<\/xmax>\s*<ymax>(\d+)<\/ymax>/g)].map((m) => ({ x1: +m[1]!, y1: +m[2]!, x2: +m[3]!, y2: +m[4]! }));
  const iou = (a: { x1: number; y1: number; x2: number; y2: number }, b: typeof a): number => {
    const i = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1)) * Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
    return i / ((a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - i);
  };
  const used = new Set<number>();
  let hits = 0;
  for (const g of gt) {
    let best = -1;
    let bestIou = 0.5;
    found.forEach((f, i) => {
      const v = iou(f, g);
      if (!used.has(i) && v >= bestIou) [best, bestIou] = [i, v];
    });
    if (best >= 0) {
      used.add(best);
      hits++;
    }
  }
  return hits;
}

describe('freeYoloxDims (YOLOX input shape freed at load time)', () => {
  it('the freed model gives the original 416² output bit for bit, and runs a 416×256 canvas and a batch of 2', async () => {
    const bytes = await readFile(MODEL);
    const freed = freeYoloxDims(bytes);
    expect(freed).not.toBeNull();
    const opts = { intraOpNumThreads: 1, graphOptimizationLevel: 'all' as const };
    const [fixed, free] = await Promise.all([ort.InferenceSession.create(bytes, opts), ort.InferenceSession.create(freed!, opts)]);
    try {
      const x = input(3 * 416 * 416);
      const a = (await fixed.run({ images: new ort.Tensor('float32', x, [1, 3, 416, 416]) })).output!;
      const b = (await free.run({ images: new ort.Tensor('float32', x, [1, 3, 416, 416]) })).output!;
      expect(b.dims).toEqual(a.dims);
      expect(Buffer.from((b.data as Float32Array).buffer).equals(Buffer.from((a.data as Float32Array).buffer))).toBe(true);
      const c = (await free.run({ images: new ort.Tensor('float32', input(3 * 256 * 416), [1, 3, 256, 416]) })).output!;
      expect(c.dims).toEqual([1, yoloxPointCount(416, 256), YOLOX_ROW]);
      const two = new Float32Array(2 * x.length);
      two.set(x);
      two.set(x, x.length);
      const d = (await free.run({ images: new ort.Tensor('float32', two, [2, 3, 416, 416]) })).output!;
      expect(d.dims).toEqual([2, 3549, YOLOX_ROW]);
      expect(Array.from((d.data as Float32Array).subarray(3549 * YOLOX_ROW, 3549 * YOLOX_ROW + 100))).toEqual(Array.from((a.data as Float32Array).subarray(0, 100)));
    } finally {
      await Promise.all([fixed.release(), free.release()]);
    }
  });

  it('bytes that are not such a YOLOX export give null (the detector then keeps 416² inputs)', () => {
    expect(freeYoloxDims(Buffer.from('this is not a protobuf model'.repeat(10)))).toBeNull();
    expect(freeYoloxDims(Buffer.alloc(0))).toBeNull();
  });

  it('OnnxDetector frees the shape by default; with tiles 2 on vn_dense_8004 the grid as one input matches at least as many labelled vehicles as four 416² tiles', async () => {
    const [free, fixed] = await Promise.all([OnnxDetector.load(MODEL), OnnxDetector.load(MODEL, { freeShape: false })]);
    try {
      expect([free.freeShape, fixed.freeShape]).toEqual([true, false]);
      const frame = await readImageFile(join(MEDIA, 'vn_dense_8004.jpg'));
      const xml = await readFile(join(MEDIA, 'vn_dense_8004.xml'), 'utf8');
      const vehicles = (d: Detection[]): Detection[] => d.filter((x) => x.label !== 'person');
      // One pass is the same detection either way (the whole frame stays on 416²).
      expect(await free.detect(frame, { scoreThreshold: 0.3 })).toEqual(await fixed.detect(frame, { scoreThreshold: 0.3 }));
      for (const th of [0.15, 0.3]) {
        const grid = matched(vehicles(await free.detect(frame, { scoreThreshold: th, tiles: 2 })), xml);
        const tiles = matched(vehicles(await fixed.detect(frame, { scoreThreshold: th, tiles: 2 })), xml);
        expect(grid, `threshold ${th}`).toBeGreaterThanOrEqual(tiles);
      }
    } finally {
      await Promise.all([free.close(), fixed.close()]);
    }
  });
});
