import { describe, expect, it } from 'vitest';
import { ZodValidationPipe } from '../api/zod-validation.pipe';
import { MAX_EXCLUSION_ZONES, MAX_ROI_POINTS, getRoisQuerySchema, putRoisSchema } from './congestion.dto';

const square = (x: number, y: number, s = 0.1): [number, number][] => [[x, y], [x + s, y], [x + s, y + s], [x, y + s]];
const road = { id: 'road', polygon: square(0, 0.5, 0.5) };
const pipe = new ZodValidationPipe(putRoisSchema);

/** What the pipe refuses, as the API reports it: `field: message; …`. */
function refusal(body: unknown): string {
  try {
    pipe.transform(body);
  } catch (e) {
    expect((e as { code?: string }).code).toBe('VALIDATION_FAILED');
    return (e as Error).message;
  }
  throw new Error('the body was accepted');
}

describe('putRoisSchema with exclusion zones', () => {
  it('{rois, exclusions} parses both lists as given', () => {
    const body = { rois: [road], exclusions: [{ id: 'billboard', polygon: square(0.8, 0.05) }, { id: 'car-park.2', polygon: [[0, 0], [0.3, 0], [0, 0.3]] }] };
    expect(putRoisSchema.parse(body)).toEqual(body);
  });

  it('without exclusions (object or the eval array) the field stays absent: the stored zones are kept', () => {
    expect(putRoisSchema.parse({ rois: [road] })).toEqual({ rois: [road] });
    expect(putRoisSchema.parse([road])).toEqual({ rois: [road] });
  });

  it('exclusions: [] is accepted (it clears the zones)', () => {
    expect(putRoisSchema.parse({ rois: [], exclusions: [] })).toEqual({ rois: [], exclusions: [] });
  });

  it.each<[string, unknown, RegExp]>([
    ['a point outside 0–1', [{ id: 'z', polygon: [[0, 0], [1.5, 0], [1, 1]] }], /^exclusions\.0\.polygon\.1\.0: /],
    ['a negative coordinate', [{ id: 'z', polygon: [[0, 0], [1, -0.01], [1, 1]] }], /^exclusions\.0\.polygon\.1\.1: /],
    ['a NaN-like string coordinate', [{ id: 'z', polygon: [[0, 0], ['NaN', 0], [1, 1]] }], /^exclusions\.0\.polygon\.1\.0: /],
    ['two points', [{ id: 'z', polygon: [[0, 0], [1, 0]] }], /^exclusions\.0\.polygon: /],
    ['too many points', [{ id: 'z', polygon: Array.from({ length: MAX_ROI_POINTS + 1 }, (_, i) => [i / 100, (i % 2) / 2]) }], /^exclusions\.0\.polygon: /],
    ['too many zones', Array.from({ length: MAX_EXCLUSION_ZONES + 1 }, (_, i) => ({ id: `z${i}`, polygon: square(0, 0) })), /^exclusions: /],
    ['duplicate ids', [{ id: 'z', polygon: square(0, 0) }, { id: 'z', polygon: square(0.5, 0.5) }], /^exclusions: exclusion zone ids must be unique/],
    ['an id with a slash', [{ id: '../z', polygon: square(0, 0) }], /^exclusions\.0\.id: /],
    ['an empty id', [{ id: '', polygon: square(0, 0) }], /^exclusions\.0\.id: /],
    ['an id of 65 characters', [{ id: 'x'.repeat(65), polygon: square(0, 0) }], /^exclusions\.0\.id: /],
    ['a calibration (zones have none)', [{ id: 'z', polygon: square(0, 0), calibration: { speedLimitKmh: 50 } }], /^exclusions\.0\.calibration: unknown field/],
    ['a prototype key', [JSON.parse('{"id":"z","polygon":[[0,0],[1,0],[1,1]],"__proto__":{"x":1}}')], /^exclusions\.0\.__proto__: unknown field/],
    ['an object instead of a list', { id: 'z', polygon: square(0, 0) }, /^exclusions: /],
    ['null', null, /^exclusions: /],
  ])('exclusions with %s -> VALIDATION_FAILED naming the field', (_what, exclusions, field) => {
    expect(refusal({ rois: [road], exclusions })).toMatch(field);
  });

  it('an oversized body (thousands of zones of too many points) is refused, reporting a bounded number of issues', () => {
    const zone = { id: 'z', polygon: Array.from({ length: 1000 }, () => [2, 2]) };
    const message = refusal({ rois: [road], exclusions: Array.from({ length: 2000 }, () => zone) });
    expect(message).toMatch(/^exclusions/);
    expect(message.split('; ').length).toBeLessThanOrEqual(20);
  });

  it('a bad ROI is still named when the exclusions are fine', () => {
    expect(refusal({ rois: [{ id: 'r', polygon: [[0, 0], [2, 0], [1, 1]] }], exclusions: [] })).toMatch(/^rois\.0\.polygon\.1\.0: /);
  });
});

describe('getRoisQuerySchema', () => {
  it('accepts no query and include=exclusions; refuses any other value or key', () => {
    expect(getRoisQuerySchema.parse({})).toEqual({});
    expect(getRoisQuerySchema.parse({ include: 'exclusions' })).toEqual({ include: 'exclusions' });
    expect(getRoisQuerySchema.safeParse({ include: 'everything' }).success).toBe(false);
    expect(getRoisQuerySchema.safeParse({ exclusions: 'true' }).success).toBe(false);
  });
});
