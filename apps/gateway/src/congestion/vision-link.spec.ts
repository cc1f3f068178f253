import { describe, expect, it } from 'vitest';
import { MAX_SCORE_BOXES, type WorkerToGatewayMessage } from '@gb/contracts';
import { MAX_BOX_LABEL_CHARS, parseWorkerMessage } from './vision-link';

const car = { label: 'car', score: 0.9, x1: 0.1, y1: 0.2, x2: 0.3, y2: 0.4 };
const score = (boxes: unknown) => ({ type: 'score', channelId: '34020000001320000001', t: 1, scores: [], boxes });
const boxesOf = (v: unknown) => (parseWorkerMessage(v) as Extract<WorkerToGatewayMessage, { type: 'score' }>).boxes;

describe('parseWorkerMessage() on score boxes from a hostile worker', () => {
  it('a score with well-formed boxes keeps them as they are', () => {
    expect(boxesOf(score([car, { ...car, label: 'person' }]))).toEqual([car, { ...car, label: 'person' }]);
  });

  it('a score without boxes, or with boxes that are not an array, reads as no boxes', () => {
    for (const b of [undefined, null, 'car', 42, { 0: car }]) expect(boxesOf(score(b))).toEqual([]);
  });

  it('more than MAX_SCORE_BOXES boxes are truncated to the first MAX_SCORE_BOXES', () => {
    const many = Array.from({ length: MAX_SCORE_BOXES * 50 }, (_, i) => ({ ...car, score: i / (MAX_SCORE_BOXES * 50) }));
    const out = boxesOf(score(many));
    expect(out).toHaveLength(MAX_SCORE_BOXES);
    expect(out!.at(-1)!.score).toBe((MAX_SCORE_BOXES - 1) / (MAX_SCORE_BOXES * 50));
  });

  it('boxes with NaN, Infinity, string or missing coordinates, bad labels or no area are dropped; the others stay', () => {
    const bad = [
      { ...car, x1: NaN }, { ...car, y2: Infinity }, { ...car, x2: '0.5' }, { ...car, y1: undefined }, { ...car, score: null },
      { ...car, label: 7 }, { ...car, label: '' }, { ...car, label: 'x'.repeat(MAX_BOX_LABEL_CHARS + 1) },
      { ...car, x2: car.x1 }, { ...car, y1: 0.9 }, null, 'box', 3, [car],
    ];
    expect(boxesOf(score([...bad, car]))).toEqual([car]);
  });

  it('coordinates and scores outside 0–1 are clamped into it', () => {
    expect(boxesOf(score([{ label: 'truck', score: 7, x1: -0.5, y1: -3, x2: 1.5, y2: 0.5 }]))).toEqual([{ label: 'truck', score: 1, x1: 0, y1: 0, x2: 1, y2: 0.5 }]);
  });

  it('extra fields of a box are not passed on', () => {
    expect(boxesOf(score([{ ...car, html: '<img onerror=alert(1)>' }]))).toEqual([car]);
  });

  it('never throws: a score whose boxes are a getter that throws, or a hostile prototype, reads as null or as no boxes', () => {
    const trap = { type: 'score', channelId: 'c', t: 1, scores: [], get boxes(): unknown { throw new Error('boom'); } };
    expect(() => parseWorkerMessage(trap)).not.toThrow();
    expect(parseWorkerMessage(score(Object.create(null)))).toMatchObject({ boxes: [] });
  });
});
