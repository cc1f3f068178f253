import { describe, expect, it } from 'vitest';
import { parseRoiFile, roiProblem } from '../../web/src/roi-file';

/** The ROI editor's file and list checks (web/src/roi-file.ts), DOM-free, run in Node. */

const tri: [number, number][] = [[0, 0], [0.5, 0], [0, 0.5]];

describe('parseRoiFile()', () => {
  it('with the eval command\'s array, returns its ROIs and no exclusion zone', () => {
    expect(parseRoiFile(JSON.stringify([{ id: 'road', polygon: tri, calibration: { speedLimitKmh: 80 } }]))).toEqual({ rois: [{ id: 'road', polygon: tri, calibration: { speedLimitKmh: 80 } }], exclusions: [] });
  });

  it('with {rois, exclusions} (what Export writes once there are zones), returns both', () => {
    expect(parseRoiFile(JSON.stringify({ rois: [{ id: 'road', polygon: tri }], exclusions: [{ id: 'sign', polygon: tri }] }))).toEqual({ rois: [{ id: 'road', polygon: tri }], exclusions: [{ id: 'sign', polygon: tri }] });
    expect(parseRoiFile(JSON.stringify({ rois: [] }))).toEqual({ rois: [], exclusions: [] });
  });

  it.each([
    ['a string', '"road"'],
    ['an object without rois', '{"exclusions": []}'],
    ['exclusions that are not a list', '{"rois": [], "exclusions": {}}'],
    ['a zone point outside 0–1', JSON.stringify({ rois: [], exclusions: [{ id: 'z', polygon: [[0, 0], [1.2, 0], [1, 1]] }] })],
    ['a zone without id', JSON.stringify({ rois: [], exclusions: [{ polygon: tri }] })],
  ])('with %s, throws', (_what, text) => {
    expect(() => parseRoiFile(text)).toThrow();
  });
});

describe('roiProblem()', () => {
  it('names a zone with too few points, a duplicate zone id and too many zones; ROI and zone ids may repeat each other', () => {
    expect(roiProblem([{ id: 'a', polygon: tri }], [{ id: 'a', polygon: tri }])).toBeNull();
    expect(roiProblem([], [{ id: 'z', polygon: tri.slice(0, 2) }])).toMatch(/z/);
    expect(roiProblem([], [{ id: 'z', polygon: tri }, { id: 'z', polygon: tri }])).toMatch(/z/);
    expect(roiProblem([], Array.from({ length: 17 }, (_, i) => ({ id: `z${i}`, polygon: tri })))).toMatch(/16/);
    expect(roiProblem([], [{ id: 'bad/id', polygon: tri }])).toMatch(/bad\/id/);
  });
});
