import { describe, expect, it } from 'vitest';
import type { Detection } from '../model/detection';
import { growFromSeeds, MAX_WEAK_BOXES, STILL_HYSTERESIS, stillDetections, suppressContained } from './still-hysteresis';

const car = (x: number, y: number, score: number, size = 20): Detection => ({ x1: x, y1: y, x2: x + size, y2: y + size, score, classId: 2, label: 'car' });
const person = (x: number, y: number, score: number): Detection => ({ x1: x, y1: y, x2: x + 10, y2: y + 25, score, classId: 0, label: 'person' });

describe('still hysteresis', () => {
  it('grows a queue of weak cars from one strong car, box by box (a chain of 6, each 25 px apart)', () => {
    const queue = [car(0, 0, 0.6), ...Array.from({ length: 5 }, (_, i) => car(25 * (i + 1), 0, 0.08))];
    expect(growFromSeeds(queue)).toHaveLength(6);
  });

  it('keeps no weak car that is alone, too far from every strong one, or of a very different size', () => {
    const dets = [car(0, 0, 0.6), car(200, 200, 0.2), car(25, 0, 0.1, 60), car(25, 0, 0.1, 8)];
    expect(growFromSeeds(dets)).toEqual([dets[0]]);
    expect(growFromSeeds([car(0, 0, 0.2), car(25, 0, 0.2)])).toEqual([]);
  });

  it('drops weak persons and boxes under lowScore, keeps strong persons', () => {
    const dets = [car(0, 0, 0.6), car(25, 0, 0.04), person(10, 0, 0.2), person(100, 100, 0.5)];
    expect(growFromSeeds(dets)).toEqual([dets[0], dets[3]]);
  });

  it('is order-independent: a chain grows whichever end it is listed from', () => {
    const chain = [car(100, 0, 0.1), car(75, 0, 0.1), car(50, 0, 0.1), car(25, 0, 0.1), car(0, 0, 0.9)];
    expect(growFromSeeds(chain)).toHaveLength(5);
    expect(growFromSeeds([...chain].reverse())).toHaveLength(5);
  });

  it('suppressContained drops a weaker vehicle box inside a better one (two scales of one car), not persons or neighbours', () => {
    const big = car(0, 0, 0.5, 40);
    const inner = car(5, 5, 0.1, 30);
    const neighbour = car(30, 0, 0.3, 40);
    const rider = { ...person(5, 5, 0.4) };
    const kept = suppressContained([inner, big, neighbour, rider], STILL_HYSTERESIS.containment);
    expect(kept).toEqual([big, rider, neighbour]);
  });

  it('stillDetections bounds the weak set: a frame of 10,000 weak boxes is handled and grows at most MAX_WEAK_BOXES', () => {
    const dets = [car(0, 0, 0.9), ...Array.from({ length: 10_000 }, (_, i) => car(25 * ((i % 100) + 1), 25 * Math.floor(i / 100), 0.1))];
    const out = stillDetections(dets);
    expect(out.length).toBeGreaterThan(1);
    expect(out.length).toBeLessThanOrEqual(MAX_WEAK_BOXES + 1);
  });

  it('a weak box lying mostly on a kept vehicle (the same car boxed again, offset) does not join; one beside it does', () => {
    const strong = car(0, 0, 0.9, 20);
    const double = car(4, 2, 0.1, 20); // 16×18 of its 20×20 on the strong box: 72 %
    const beside = car(24, 0, 0.1, 20);
    expect(growFromSeeds([strong, double, beside])).toEqual([strong, beside]);
    expect(growFromSeeds([strong, double, beside], { ...STILL_HYSTERESIS, weakOverlap: 1.01 })).toEqual([strong, double, beside]);
  });

  it('ignores boxes with a NaN score', () => {
    expect(growFromSeeds([car(0, 0, 0.9), car(25, 0, Number.NaN)])).toHaveLength(1);
  });
});
