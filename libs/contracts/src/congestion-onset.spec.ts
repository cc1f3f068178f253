import { describe, expect, it } from 'vitest';
import { ONSET_DEFAULTS, OnsetDetector, type OnsetSample, type OnsetTransition } from './congestion-onset';

/** Deterministic noise in [-1, 1) (mulberry32), so a failure replays. */
function noise(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return (((x ^ (x >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

const T0 = Date.parse('2026-12-01T08:00:00Z');
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** One sample a second for `seconds`, index and share given per second. */
function series(seconds: number, index: (s: number) => number, share: (s: number) => number | null): OnsetSample[] {
  return Array.from({ length: seconds }, (_, s) => ({ t: T0 + s * 1000, index: index(s), stationaryShare: share(s) }));
}

function run(samples: OnsetSample[], d = new OnsetDetector()): { at: number; sample: OnsetSample; tr: OnsetTransition }[] {
  const out: { at: number; sample: OnsetSample; tr: OnsetTransition }[] = [];
  for (const s of samples) {
    const tr = d.update(s);
    if (tr) out.push({ at: (s.t - T0) / 1000, sample: s, tr });
  }
  return out;
}

/**
 * 60 s free, then a linear climb from 5 to 75 over `climbS` seconds, then held at 75. The stationary share grows
 * with the queue, all stopped by heavy: under the motion basis the index is the density of the stopped vehicles
 * (apps/vision-worker/src/scoring/congestion-scorer.ts), so the share leads the index.
 */
function climb(climbS: number, seconds = 60 + climbS + 60): OnsetSample[] {
  const idx = (s: number) => (s < 60 ? 5 : Math.min(75, 5 + ((s - 60) / climbS) * 70));
  return series(seconds, idx, (s) => clamp((idx(s) - 5) / 55, 0, 1));
}

describe('OnsetDetector', () => {
  it.each([
    [60, 20],
    [120, 45],
    [180, 75],
  ])('update() with a steady climb from free to heavy over %i s warns once, while the index is light or moderate, at least %i s before heavy', (climbS, leadS) => {
    const samples = climb(climbS);
    const got = run(samples);
    const forming = got.find((g) => g.tr.type === 'forming')!;
    expect(forming).toBeDefined();
    expect(got.filter((g) => g.tr.type === 'forming')).toHaveLength(1);
    const f = forming.tr as Extract<OnsetTransition, { type: 'forming' }>;
    expect(f.index).toBeGreaterThanOrEqual(ONSET_DEFAULTS.minIndex);
    expect(f.index).toBeLessThan(45);
    expect(f.slopePerMin).toBeGreaterThanOrEqual(ONSET_DEFAULTS.minSlopePerMin);
    expect(f.stationaryShare).toBe(forming.sample.stationaryShare);
    // Heavy (60) is reached 60 + climbS × 55/70 s in (at 1 score/s, the sample index is the second).
    const heavyAt = samples.findIndex((s) => s.index >= 60);
    expect(heavyAt - forming.at).toBeGreaterThanOrEqual(leadS);
  });

  it('update() with a noisy climb (±8 points, ±0.1 share) still warns before heavy', () => {
    const r = noise(7);
    const idx = (s: number) => (s < 60 ? 8 : Math.min(75, 8 + ((s - 60) / 150) * 67));
    const samples = series(300, (s) => clamp(idx(s) + 8 * r(), 0, 100), (s) => clamp((idx(s) - 8) / 55 + 0.1 * r(), 0, 1));
    const got = run(samples);
    const forming = got.find((g) => g.tr.type === 'forming');
    expect(forming).toBeDefined();
    expect(forming!.sample.index).toBeLessThan(60);
    expect(got.map((g) => g.tr.type === 'ended' && g.tr.reason)).toContain('reached');
  });

  it.each([1, 2, 3, 4, 5])('update() with flat but noisy traffic (index 35 ± 15, share 0.3 ± 0.15, 1 h, seed %i) never warns', (seed) => {
    const r = noise(seed);
    expect(run(series(3600, () => 35 + 15 * r(), () => clamp(0.3 + 0.15 * r(), 0, 1)))).toEqual([]);
  });

  it('update() with free traffic (index 0–18, stopping vehicles in the share) never warns', () => {
    const r = noise(11);
    expect(run(series(1800, (s) => 9 + 9 * Math.sin(s / 40) + r(), (s) => clamp(0.3 + 0.3 * Math.sin(s / 40), 0, 1)))).toEqual([]);
  });

  it('update() with a 5 s spike to moderate that drops back (a bus, a detection glitch) does not warn', () => {
    const idx = (s: number) => (s >= 90 && s < 95 ? 55 : 10);
    expect(run(series(240, idx, (s) => (s >= 90 && s < 95 ? 0.5 : 0.05)))).toEqual([]);
  });

  it('update() with a rising index but a stationary share that does not grow (more vehicles, all moving) does not warn', () => {
    expect(run(series(240, (s) => Math.min(55, 5 + s * 0.4), () => 0.1))).toEqual([]);
  });

  it('update() with a rising index and no share known at all (stills) does not warn: stopping cannot be told', () => {
    expect(run(series(240, (s) => Math.min(55, 5 + s * 0.4), () => null))).toEqual([]);
  });

  it('update() ignores null shares among known ones', () => {
    const samples = climb(120).map((s, i) => (i % 2 ? { ...s, stationaryShare: null } : s));
    expect(run(samples).some((g) => g.tr.type === 'forming')).toBe(true);
  });

  it('update() ends the warning with reason reached once the index reaches heavy, and stays quiet while the queue hovers around heavy', () => {
    const base = climb(120);
    const r = noise(3);
    const hover = series(300, () => 60 + 6 * r(), () => 0.6).map((s) => ({ ...s, t: s.t + base.length * 1000 }));
    const got = run([...base, ...hover]);
    expect(got.map((g) => [g.tr.type, g.tr.type === 'ended' ? g.tr.reason : null])).toEqual([['forming', null], ['ended', 'reached']]);
    const reached = got[1]!;
    expect(reached.sample.index).toBeGreaterThanOrEqual(60);
    expect(got[0]!.at).toBeLessThan(reached.at);
  });

  it('update() ends the warning with reason eased when the climb stops and falls back for clearMs', () => {
    // Climb to 40, then fall back to 15 and stay.
    const idx = (s: number) => (s < 60 ? 5 : s < 120 ? 5 + (s - 60) * 0.6 : s < 150 ? 41 - (s - 120) * (26 / 30) : 15);
    const d = new OnsetDetector();
    const got = run(series(300, idx, (s) => clamp((idx(s) - 5) / 80, 0, 1)), d);
    expect(got.map((g) => (g.tr.type === 'ended' ? g.tr.reason : g.tr.type))).toEqual(['forming', 'eased']);
    const [forming, eased] = got;
    expect(eased!.at - forming!.at).toBeGreaterThanOrEqual(ONSET_DEFAULTS.clearMs / 1000);
    expect(d.forming).toBe(false);
  });

  it('forming is true between forming and ended; reset() forgets the warning without a transition', () => {
    const d = new OnsetDetector();
    const samples = climb(120);
    let i = 0;
    while (!d.forming && i < samples.length) d.update(samples[i++]!);
    expect(d.forming).toBe(true);
    d.reset();
    expect(d.forming).toBe(false);
    // The window is empty again: the next samples alone are too few for a trend.
    expect(samples.slice(i, i + 5).map((s) => d.update(s))).toEqual([null, null, null, null, null]);
  });

  it('update() ignores out-of-order, repeated, NaN and infinite samples without throwing: a climb with junk mixed in warns at the same sample', () => {
    const clean = climb(120);
    const cleanGot = run(clean).map((g) => [g.at, g.tr]);
    const d = new OnsetDetector();
    const got: [number, OnsetTransition][] = [];
    clean.forEach((s, i) => {
      const junk: OnsetSample[] = [
        { t: NaN, index: 99, stationaryShare: 1 },
        { t: s.t, index: NaN, stationaryShare: 0.5 },
        { t: s.t, index: Infinity, stationaryShare: 0.5 },
        { t: -Infinity, index: 50, stationaryShare: 0.5 },
      ];
      for (const j of junk) expect(d.update(j)).toBeNull();
      const tr = d.update(s);
      if (tr) got.push([(s.t - T0) / 1000, tr]);
      // Earlier than or at the same time as the last accepted sample: ignored.
      expect(d.update({ ...s, index: 99, stationaryShare: 1 })).toBeNull();
      if (i > 0) expect(d.update({ ...s, t: s.t - 3000, index: 0 })).toBeNull();
    });
    expect(got).toEqual(cleanGot);
    expect(got[0]?.[1].type).toBe('forming');
  });

  it('new OnsetDetector() refuses negative, NaN or zero-window options', () => {
    expect(() => new OnsetDetector({ windowMs: 0 })).toThrow(RangeError);
    expect(() => new OnsetDetector({ minSlopePerMin: -1 })).toThrow(/minSlopePerMin/);
    expect(() => new OnsetDetector({ clearMs: NaN })).toThrow(/clearMs/);
  });
});
