import { describe, expect, it } from 'vitest';
import { isVehicle } from './classes';
import type { Detection } from './detection';
import { iou } from './detection';
import { mergeVehicleDuplicates, nms } from './nms';
import { decodeYolox, YOLOX_ROW, yoloxPointCount } from './yolox-decode';

const det = (x1: number, y1: number, x2: number, y2: number, score: number, label: Detection['label'] = 'car', classId = 2): Detection => ({ x1, y1, x2, y2, score, label, classId });

describe('iou', () => {
  it.each([
    [det(0, 0, 10, 10, 1), det(0, 0, 10, 10, 1), 1],
    [det(0, 0, 10, 10, 1), det(5, 0, 15, 10, 1), 50 / 150],
    [det(0, 0, 10, 10, 1), det(10, 0, 20, 10, 1), 0],
    [det(0, 0, 10, 10, 1), det(2, 2, 8, 8, 1), 36 / 100],
  ])('iou(%o, %o) = %f', (a, b, v) => expect(iou(a, b)).toBeCloseTo(v, 9));
});

describe('nms', () => {
  it('nms() keeps the best of two same-class boxes overlapping above the threshold', () => {
    const kept = nms([det(0, 0, 10, 10, 0.6), det(1, 0, 11, 10, 0.9)], 0.45);
    expect(kept.map((d) => d.score)).toEqual([0.9]);
  });
  it('nms() keeps both boxes when they overlap at or below the threshold', () => {
    expect(nms([det(0, 0, 10, 10, 0.6), det(5, 0, 15, 10, 0.9)], 0.45)).toHaveLength(2);
  });
  it('nms() is class-wise: a person on a motorcycle survives the motorcycle', () => {
    const kept = nms([det(0, 0, 10, 10, 0.9, 'motorcycle', 3), det(0, 0, 10, 10, 0.5, 'person', 0)], 0.45);
    expect(kept.map((d) => d.label)).toEqual(['motorcycle', 'person']);
  });
  it('nms() of a chain A–B–C suppresses B by A and keeps C (greedy, not transitive)', () => {
    const kept = nms([det(0, 0, 10, 10, 0.9), det(3, 0, 13, 10, 0.8), det(7, 0, 17, 10, 0.7)], 0.45);
    expect(kept.map((d) => d.score)).toEqual([0.9, 0.7]);
  });
  it('mergeVehicleDuplicates() drops a truck box on the same van as a better car box, keeps the person', () => {
    const kept = mergeVehicleDuplicates([det(0, 0, 10, 10, 0.5, 'truck', 7), det(0, 0, 10, 11, 0.7), det(0, 0, 10, 10, 0.4, 'person', 0)], (d) => isVehicle(d.label));
    expect(kept.map((d) => d.label)).toEqual(['car', 'person']);
  });
});

describe('decodeYolox', () => {
  const size = 416;
  function output(points: Array<{ p: number; row: number[] }>): Float32Array {
    const out = new Float32Array(yoloxPointCount(size) * YOLOX_ROW);
    for (const { p, row } of points) out.set(row, p * YOLOX_ROW);
    return out;
  }
  const classes = (id: number, v: number) => Array.from({ length: 80 }, (_, i) => (i === id ? v : 0.01));

  it('yoloxPointCount(416) is 3549 (52² + 26² + 13²)', () => expect(yoloxPointCount(416)).toBe(3549));

  it('decodeYolox() places a stride-8 point at (x + gx)·8 with exp(w)·8 and scores obj × class', () => {
    const p = 3 * 52 + 5; // gy = 3, gx = 5 on the 52×52 grid
    const [d] = decodeYolox(output([{ p, row: [0.5, 0.25, Math.log(4), Math.log(2), 0.9, ...classes(2, 0.8)] }]), size, 0.3);
    expect(d.label).toBe('car');
    expect(d.score).toBeCloseTo(0.72, 6);
    expect([d.x1, d.y1, d.x2, d.y2].map((v) => +v.toFixed(4))).toEqual([28, 18, 60, 34]);
  });

  it('decodeYolox() places a stride-32 point on the 13×13 grid after the two finer grids', () => {
    const p = 52 * 52 + 26 * 26 + 12 * 13 + 12; // last point
    const [d] = decodeYolox(output([{ p, row: [0, 0, 0, 0, 0.9, ...classes(0, 0.9)] }]), size, 0.3);
    expect(d.label).toBe('person');
    expect((d.x1 + d.x2) / 2).toBe(384);
    expect(d.x2 - d.x1).toBe(32);
  });

  it('decodeYolox() drops classes outside the kept six and scores under the threshold', () => {
    const out = output([
      { p: 0, row: [0, 0, 0, 0, 0.9, ...classes(16, 0.9)] }, // dog
      { p: 1, row: [0, 0, 0, 0, 0.5, ...classes(2, 0.5)] }, // 0.25 < 0.3
      { p: 2, row: [0, 0, 0, 0, NaN, ...classes(2, 0.9)] },
    ]);
    expect(decodeYolox(out, size, 0.3)).toEqual([]);
  });
});
