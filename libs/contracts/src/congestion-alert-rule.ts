/**
 * The held congestion alert rule (docs/congestion.md, "Alerts"), shared by the gateway (live alerts) and the vision
 * worker's evaluation (the same rule replayed over recorded scores). Pure: no timers, time comes in with each score.
 */
import { CONGESTION_LEVELS, type CongestionLevel } from './vision';

export interface AlertRules {
  /** Raise when the level is at or above this… */
  level: CongestionLevel;
  /** …for this long without dropping below it (a short spike raises nothing). */
  holdMs: number;
  /** Clear when the level is at or below this (lower than `level`: the band between is hysteresis)… */
  clearLevel: CongestionLevel;
  /** …for this long. */
  clearHoldMs: number;
}

export type AlertTransition =
  | { kind: 'raise'; key: string; level: CongestionLevel; peakIndex: number; since: number }
  | { kind: 'clear'; key: string; peakIndex: number }
  | { kind: 'peak'; key: string; level: CongestionLevel; peakIndex: number };

type Phase =
  | { phase: 'idle' }
  | { phase: 'pending'; since: number; peak: number; level: CongestionLevel }
  | { phase: 'active'; peak: number; level: CongestionLevel }
  | { phase: 'clearing'; since: number; peak: number; level: CongestionLevel };

const rank = (l: CongestionLevel): number => CONGESTION_LEVELS.indexOf(l);

/**
 * Alert state per key (channel/ROI): idle -> pending (level ≥ rules.level) -> active after holdMs ->
 * clearing (level ≤ clearLevel) -> idle after clearHoldMs. Dropping out of pending or clearing early
 * returns to the previous phase. Pure: time comes in as `now` (ms).
 */
export class AlertStateMachine {
  private readonly states = new Map<string, Phase>();

  constructor(readonly rules: AlertRules) {
    if (rank(rules.clearLevel) >= rank(rules.level)) throw new Error(`alert clear level ${rules.clearLevel} must be below the alert level ${rules.level}`);
  }

  /** Feeds one score; returns the transition it caused, if any ('peak' when an active alert reached a higher index). */
  update(key: string, score: { index: number; level: CongestionLevel }, now: number): AlertTransition | null {
    const s = this.states.get(key) ?? { phase: 'idle' };
    const hot = rank(score.level) >= rank(this.rules.level);
    const cool = rank(score.level) <= rank(this.rules.clearLevel);
    switch (s.phase) {
      case 'idle':
        if (hot) this.states.set(key, { phase: 'pending', since: now, peak: score.index, level: score.level });
        if (hot && this.rules.holdMs <= 0) return this.update(key, score, now);
        return null;
      case 'pending': {
        if (!hot) {
          this.states.delete(key);
          return null;
        }
        const peak = Math.max(s.peak, score.index);
        const level = rank(score.level) > rank(s.level) ? score.level : s.level;
        if (now - s.since >= this.rules.holdMs) {
          this.states.set(key, { phase: 'active', peak, level });
          return { kind: 'raise', key, level, peakIndex: peak, since: s.since };
        }
        this.states.set(key, { ...s, peak, level });
        return null;
      }
      case 'active':
      case 'clearing': {
        const peak = Math.max(s.peak, score.index);
        const level = rank(score.level) > rank(s.level) ? score.level : s.level;
        if (!cool) {
          this.states.set(key, { phase: 'active', peak, level });
          return peak > s.peak ? { kind: 'peak', key, level, peakIndex: peak } : null;
        }
        const since = s.phase === 'clearing' ? s.since : now;
        if (now - since >= this.rules.clearHoldMs) {
          this.states.delete(key);
          return { kind: 'clear', key, peakIndex: peak };
        }
        this.states.set(key, { phase: 'clearing', since, peak, level });
        return null;
      }
    }
  }

  isActive(key: string): boolean {
    const p = this.states.get(key)?.phase;
    return p === 'active' || p === 'clearing';
  }

  /** Forgets a key (channel unwatched); returns whether an alert was active. */
  reset(key: string): boolean {
    const was = this.isActive(key);
    this.states.delete(key);
    return was;
  }

  keys(): string[] {
    return [...this.states.keys()];
  }
}
