import { describe, expect, it } from 'vitest';
import { SIM_POSITION_PATH, simPositionAt } from './simulated-device';

describe('simPositionAt()', () => {
  it('walks the default square east, north, west, south at the step length, heading along each leg, and loops', () => {
    const first = simPositionAt(SIM_POSITION_PATH, 0, 10);
    expect(first).toEqual({ longitude: 120.15, latitude: 30.28, direction: 90 });
    const one = simPositionAt(SIM_POSITION_PATH, 1, 10);
    expect(one.latitude).toBe(30.28);
    // 10 m east at latitude 30.28°: about 0.000104° of longitude.
    expect(one.longitude - 120.15).toBeCloseTo(10 / (111_320 * Math.cos((30.28 * Math.PI) / 180)), 5);
    const headings = new Set<number>();
    for (let step = 0; step < 80; step++) headings.add(simPositionAt(SIM_POSITION_PATH, step, 10).direction);
    expect([...headings].sort((a, b) => a - b)).toEqual([0, 90, 180, 270]);
    const loop = Array.from({ length: 4 }, (_, i) => {
      const [a, b] = [SIM_POSITION_PATH[i]!, SIM_POSITION_PATH[(i + 1) % 4]!];
      return Math.hypot((b[0] - a[0]) * 111_320 * Math.cos((a[1] * Math.PI) / 180), (b[1] - a[1]) * 111_320);
    }).reduce((x, y) => x + y);
    // One whole loop later the device is back where it started.
    const back = simPositionAt(SIM_POSITION_PATH, 1, loop);
    expect([back.longitude, back.latitude]).toEqual([120.15, 30.28]);
  });

  it('a one-point path stands still; an empty path is refused', () => {
    expect(simPositionAt([[1, 2]], 5, 10)).toEqual({ longitude: 1, latitude: 2, direction: 0 });
    expect(() => simPositionAt([], 0, 10)).toThrow(/at least one point/);
  });
});
