import { describe, expect, it } from 'vitest';
import { congestionLevelOf as levelOf } from '../contracts';
import { crowdIndex, speedRatioIndex } from './congestion-bands';
import { CongestionScorer, medianSpacing, MOVING_WEIGHT, type ScoredObject } from './congestion-scorer';

const W = 640;
const H = 480;
const veh = (x: number, y: number, w: number, h: number, motion: ScoredObject['motion'] = 'unknown', speed: number | null = null): ScoredObject => ({
  x1: x, y1: y, x2: x + w, y2: y + h, label: 'car', motion, speedPxPerS: speed,
});
/** A grid of cars `gap` box sizes apart on a 640×480 frame. */
function grid(cols: number, rows: number, w: number, h: number, gapX: number, gapY: number, motion: ScoredObject['motion'] = 'unknown', speed: number | null = null) {
  const out: ScoredObject[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out.push(veh(10 + c * w * gapX, 10 + r * h * gapY, w, h, motion, speed));
  return out;
}
const score = (objects: ScoredObject[], rois?: ConstructorParameters<typeof CongestionScorer>[0]) => new CongestionScorer(rois, { width: W, height: H }).score({ t: 0, width: W, height: H, objects });

describe('congestion bands', () => {
  it.each([
    [0, 'free'], [19, 'free'], [20, 'light'], [40, 'moderate'], [60, 'heavy'], [79, 'heavy'], [80, 'severe'], [100, 'severe'],
  ])('levelOf(%i) = %s', (i, l) => expect(levelOf(i)).toBe(l));
  it.each([
    [1.2, 0], [0.7, 20], [0.5, 40], [0.35, 60], [0.2, 80], [0, 100],
  ])('speedRatioIndex(%f) = %i', (r, i) => expect(speedRatioIndex(r)).toBeCloseTo(i, 6));
  it.each([
    [0.1, 'free'], [0.35, 'light'], [0.8, 'moderate'], [1.5, 'heavy'], [2.5, 'severe'],
  ])('crowdIndex(%f persons/m²) reads %s (Fruin)', (d, l) => expect(levelOf(crowdIndex(d))).toBe(l));
});

describe('CongestionScorer', () => {
  it('score() of an empty frame is 0, free, density basis', () => {
    const [s] = score([]);
    expect(s).toMatchObject({ roi: 'frame', index: 0, level: 'free', vehicles: 0, occupancy: 0, spacing: null, basis: 'density' });
  });

  it('score() of three scattered moving cars reads free', () => {
    const [s] = score([veh(10, 10, 40, 30, 'moving', 50), veh(300, 200, 40, 30, 'moving', 50), veh(550, 400, 40, 30, 'moving', 50)]);
    expect(s.level).toBe('free');
    expect(s.basis).toBe('motion');
  });

  it('score() of a dense but moving queue counts MOVING_WEIGHT of its density: at most light', () => {
    const [s] = score(grid(10, 8, 50, 40, 1.2, 1.4, 'moving', 80));
    expect(s.occupancy).toBeGreaterThan(0.5);
    expect(s.index).toBeGreaterThan(100 * MOVING_WEIGHT - 5);
    expect(s.index).toBeLessThanOrEqual(100 * MOVING_WEIGHT);
    expect(['free', 'light']).toContain(s.level);
  });

  it('score() of flowing traffic with two static boxes (an on-screen caption read as a bus) stays free: two stopped boxes make no queue', () => {
    const caption = [veh(200, 5, 60, 20, 'stationary'), veh(270, 5, 60, 20, 'stationary')];
    const [s] = score([...grid(6, 2, 40, 30, 2.5, 3, 'moving', 60).map((v) => ({ ...v, y1: v.y1 + 200, y2: v.y2 + 200 })), ...caption]);
    expect(s.stationaryShare).toBeCloseTo(2 / 14, 3);
    expect(s.level).toBe('free');
  });

  it('score() of one stopped lane beside a flowing one reads the stopped lane: heavy or severe', () => {
    const stopped = grid(20, 1, 25, 20, 1.1, 1, 'stationary').map((v) => ({ ...v, y1: v.y1 + 100, y2: v.y2 + 100 }));
    const flowing = grid(4, 1, 40, 30, 3, 1, 'moving', 90).map((v) => ({ ...v, y1: v.y1 + 300, y2: v.y2 + 300 }));
    const [s] = score([...stopped, ...flowing]);
    expect(s.stationaryShare).toBeCloseTo(20 / 24, 3);
    expect(['heavy', 'severe']).toContain(s.level);
  });

  it('score() of a dense standstill seen as four merged boxes (high occupancy, stationary) reads severe', () => {
    const [s] = score([veh(0, 0, 320, 240, 'stationary'), veh(320, 0, 320, 240, 'stationary'), veh(0, 240, 320, 200, 'stationary'), veh(320, 240, 300, 200, 'stationary')]);
    expect(s.vehicles).toBe(4);
    expect(s.stationaryShare).toBe(1);
    expect(s.level).toBe('severe');
  });

  it('score() of a still image of 30 bumper-to-bumper cars reads heavy or severe on density alone', () => {
    const [s] = score(grid(10, 3, 30, 20, 1.1, 1.2));
    expect(s.spacing).toBeLessThan(1.3);
    expect(s.basis).toBe('density');
    expect(s.index).toBeGreaterThanOrEqual(60);
  });

  it('score() counts only objects whose centre lies in the ROI and clips occupancy to it', () => {
    const rois = [{ id: 'left', polygon: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] as [number, number][] }];
    const [s] = score([veh(0, 0, 320, 480), veh(400, 0, 100, 100)], rois);
    expect(s.roi).toBe('left');
    expect(s.vehicles).toBe(1);
    expect(s.occupancy).toBe(1);
  });

  it('score() with metresPerPixel and a speed limit reports km/h and grades slow traffic by the speed ratio', () => {
    const rois = [{ id: 'road', polygon: [[0, 0], [1, 0], [1, 1], [0, 1]] as [number, number][], calibration: { metresPerPixel: 0.1, speedLimitKmh: 60 } }];
    // 20 px/s × 0.1 m/px × 3.6 = 7.2 km/h = 0.12 of the limit.
    const [s] = score(grid(6, 4, 60, 45, 1.3, 1.5, 'moving', 20), rois);
    expect(s.speedUnit).toBe('km/h');
    expect(s.meanSpeed).toBeCloseTo(7.2, 3);
    expect(s.basis).toBe('speed');
    expect(s.level).toBe('severe');
  });

  it('score() with an area reports persons per m² and takes the Fruin level when it is worse', () => {
    const persons: ScoredObject[] = Array.from({ length: 30 }, (_, i) => ({ ...veh(10 + (i % 10) * 60, 10 + Math.floor(i / 10) * 100, 20, 60), label: 'person' }));
    const rois = [{ id: 'plaza', polygon: [[0, 0], [1, 0], [1, 1], [0, 1]] as [number, number][], calibration: { areaSquareMetres: 20 } }];
    const [s] = score(persons, rois);
    expect(s.personsPerM2).toBe(1.5);
    expect(s.crowdLevel).toBe('heavy');
    expect(s.level).toBe('heavy');
  });

  it('medianSpacing() of cars one box apart is 1', () => {
    expect(medianSpacing([veh(0, 0, 10, 10), veh(10, 0, 10, 10), veh(20, 0, 10, 10)])).toBeCloseTo(1, 9);
  });
});
