import { describe, expect, it } from 'vitest';
import { SignallingGuard, WARNINGS_PER_WINDOW, WARNING_WINDOW_MS, type FailureEvent } from './signalling-guard';

const T0 = 1_700_000_000_000; // a virtual clock, ms
const flow = (port = 5060, host = '192.0.2.7') => ({ transport: 'udp' as const, remoteHost: host, remotePort: port });
const forbidden = (deviceId: string, port = 5060, host?: string): FailureEvent => ({ deviceId, flow: flow(port, host), kind: 'forbidden', status: 403, reason: 'wrong password' });
const guard = (o: Partial<ConstructorParameters<typeof SignallingGuard>[0]> = {}) =>
  new SignallingGuard({ banAfterFailures: 3, banMs: 600_000, sourceFailuresPerS: 50, sourceFailureBurst: 500, ...o });

describe('SignallingGuard bans (Monibuca-style: 3 digest failures, 10 minutes)', () => {
  it('bans a device ID from a source host after 3 digest failures, from any port of that host', () => {
    const g = guard();
    expect(g.record(forbidden('D1', 1000), T0).banned).toBe(false);
    expect(g.record(forbidden('D1', 1001), T0 + 1).banned).toBe(false);
    expect(g.admit('192.0.2.7', 'D1', T0 + 2)).toBe('ok');
    expect(g.record(forbidden('D1', 1002), T0 + 2).banned).toBe(true);
    expect(g.admit('192.0.2.7', 'D1', T0 + 3)).toBe('banned');
    expect(g.activeBans(T0 + 3)).toBe(1);
    expect(g.totals.bans).toBe(1);
  });

  it('does not ban the same ID from another host, nor another ID from the same host', () => {
    const g = guard();
    for (let i = 0; i < 3; i++) g.record(forbidden('D1'), T0 + i);
    expect(g.admit('198.51.100.1', 'D1', T0 + 10)).toBe('ok');
    expect(g.admit('192.0.2.7', 'D2', T0 + 10)).toBe('ok');
  });

  it('lifts the ban when the ban time has passed', () => {
    const g = guard();
    for (let i = 0; i < 3; i++) g.record(forbidden('D1'), T0);
    expect(g.admit('192.0.2.7', 'D1', T0 + 599_999)).toBe('banned');
    expect(g.admit('192.0.2.7', 'D1', T0 + 600_000)).toBe('ok');
    expect(g.activeBans(T0 + 600_000)).toBe(0);
  });

  it('a success in between starts the failure count again', () => {
    const g = guard();
    g.record(forbidden('D1'), T0);
    g.record(forbidden('D1'), T0);
    g.succeeded('D1', '192.0.2.7');
    expect(g.record(forbidden('D1'), T0).banned).toBe(false);
    expect(g.record(forbidden('D1'), T0).banned).toBe(false);
  });

  it('counts requests dropped while banned in the entry and the totals', () => {
    const g = guard();
    for (let i = 0; i < 3; i++) g.record(forbidden('D1'), T0);
    for (let i = 0; i < 5; i++) g.admit('192.0.2.7', 'D1', T0 + 1000);
    const [e] = g.list(T0 + 1000);
    expect(e).toMatchObject({ deviceId: 'D1', forbidden: 3, dropped: 5, lastKind: 'banned', lastStatus: 0, bannedUntil: new Date(T0 + 600_000).toISOString() });
    expect(g.totals.banned).toBe(5);
  });
});

describe('SignallingGuard source rate', () => {
  it('drops a source after its burst of failures and lets it in again as the bucket refills', () => {
    const g = guard({ sourceFailuresPerS: 10, sourceFailureBurst: 20 });
    for (let i = 0; i < 20; i++) {
      expect(g.admit('192.0.2.7', `X${i}`, T0)).toBe('ok');
      g.record({ deviceId: `X${i}`, flow: flow(2000 + i), kind: 'bad-request', status: 400, reason: 'Bad Request' }, T0);
    }
    expect(g.admit('192.0.2.7', 'X99', T0)).toBe('rate-limited');
    expect(g.admit('192.0.2.8', 'X99', T0)).toBe('ok');
    expect(g.admit('192.0.2.7', 'X99', T0 + 100)).toBe('ok'); // 0.1 s at 10/s: one token
    expect(g.totals['rate-limited']).toBe(1);
  });
});

describe('SignallingGuard table', () => {
  it('a first challenge is not a failure; a second one with no success between is, and a success clears it', () => {
    const g = guard();
    const ev = { deviceId: 'D1', flow: flow(), reason: 'no Authorization' };
    g.challenged(ev, T0);
    expect(g.list(T0)).toEqual([]);
    g.challenged(ev, T0 + 1000);
    expect(g.list(T0 + 1000)).toMatchObject([{ deviceId: 'D1', challenges: 1, lastStatus: 401, lastReason: 'no Authorization', lastAt: new Date(T0 + 1000).toISOString() }]);
    g.succeeded('D1', '192.0.2.7');
    expect(g.list(T0 + 2000)).toEqual([]);
  });

  it('keeps 403s and 400s after a success, with the last reason and time', () => {
    const g = guard();
    g.record(forbidden('D1'), T0);
    g.record({ deviceId: 'D1', flow: flow(5070), kind: 'bad-request', status: 400, reason: 'Bad Request (MANSCDP_BAD_XML)' }, T0 + 5);
    g.succeeded('D1', '192.0.2.7');
    expect(g.list(T0 + 5)).toMatchObject([{ forbidden: 1, badRequests: 1, challenges: 0, sourceAddress: '192.0.2.7:5070', lastReason: 'Bad Request (MANSCDP_BAD_XML)' }]);
  });

  it('is bounded: past maxEntries the least recently updated entry goes', () => {
    const g = guard({ maxEntries: 3 });
    for (const id of ['A', 'B', 'C']) g.record(forbidden(id), T0);
    g.record(forbidden('A'), T0 + 1); // A is now the most recent
    g.record(forbidden('D'), T0 + 2);
    expect(g.list(T0 + 2).map((e) => e.deviceId)).toEqual(['D', 'A', 'C']);
  });
});

describe('SignallingGuard warnings', () => {
  it(`logs at most ${WARNINGS_PER_WINDOW} per ${WARNING_WINDOW_MS} ms and says how many it left out`, () => {
    const g = guard({ sourceFailureBurst: 1e9 });
    const logged = [];
    for (let i = 0; i < 100; i++) {
      const w = g.record({ deviceId: `D${i}`, flow: flow(), kind: 'bad-request', status: 400, reason: 'Bad Request' }, T0 + i);
      if (w.warning) logged.push(w.warning.text);
    }
    expect(logged).toHaveLength(WARNINGS_PER_WINDOW);
    const next = g.record({ deviceId: 'Z', flow: flow(), kind: 'bad-request', status: 400, reason: 'Bad Request' }, T0 + WARNING_WINDOW_MS);
    expect(next.warning?.text).toMatch(/\(95 more signalling warnings suppressed/);
    expect(g.totals).toMatchObject({ warningsLogged: WARNINGS_PER_WINDOW + 1, warningsSuppressed: 95 });
  });
});
