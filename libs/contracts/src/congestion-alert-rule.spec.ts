import { describe, expect, it } from 'vitest';
import type { CongestionLevel } from './vision';
import { AlertStateMachine, type AlertTransition } from './congestion-alert-rule';

const rules = { level: 'heavy', holdMs: 30_000, clearLevel: 'light', clearHoldMs: 20_000 } as const;
const INDEX: Record<CongestionLevel, number> = { free: 10, light: 30, moderate: 50, heavy: 70, severe: 90 };

/** Feeds one score per second; returns [second, transition] for each transition. */
function run(levels: CongestionLevel[], m = new AlertStateMachine(rules)): [number, AlertTransition][] {
  const out: [number, AlertTransition][] = [];
  levels.forEach((l, s) => {
    const tr = m.update('ch/frame', { index: INDEX[l], level: l }, s * 1000);
    if (tr) out.push([s, tr]);
  });
  return out;
}
const repeat = (l: CongestionLevel, n: number): CongestionLevel[] => Array<CongestionLevel>(n).fill(l);

describe('AlertStateMachine', () => {
  it('update() with heavy held for the hold time raises once, with the time the level was first reached', () => {
    const out = run([...repeat('free', 5), ...repeat('heavy', 40)]);
    expect(out).toEqual([[35, { kind: 'raise', key: 'ch/frame', level: 'heavy', peakIndex: 70, since: 5000 }]]);
  });

  it('update() with a heavy spike shorter than the hold time raises nothing', () => {
    expect(run([...repeat('heavy', 29), 'moderate', ...repeat('heavy', 29), 'free'])).toEqual([]);
  });

  it('update() on an active alert stays raised in the hysteresis band (moderate) and clears only after the clear hold at or below light', () => {
    const out = run([...repeat('heavy', 31), ...repeat('moderate', 60), ...repeat('light', 19), 'moderate', ...repeat('free', 21)]);
    expect(out.map(([s, t]) => [s, t.kind])).toEqual([[30, 'raise'], [131, 'clear']]);
  });

  it('update() on an active alert reports a higher peak once and carries it into the clear', () => {
    const out = run([...repeat('heavy', 31), 'severe', 'severe', ...repeat('free', 21)]);
    expect(out.map(([s, t]) => [s, t.kind, t.peakIndex])).toEqual([[30, 'raise', 70], [31, 'peak', 90], [53, 'clear', 90]]);
  });

  it('reset() forgets an active alert and reports that one was active; a new raise then needs the full hold again', () => {
    const m = new AlertStateMachine(rules);
    run(repeat('heavy', 31), m);
    expect(m.isActive('ch/frame')).toBe(true);
    expect(m.reset('ch/frame')).toBe(true);
    expect(m.reset('ch/frame')).toBe(false);
    expect(run(repeat('heavy', 30), m)).toEqual([]);
  });

  it('a clear level not below the alert level is refused at construction', () => {
    expect(() => new AlertStateMachine({ ...rules, clearLevel: 'heavy' })).toThrow(/must be below/);
  });
});
