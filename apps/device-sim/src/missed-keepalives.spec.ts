import { describe, it, expect } from 'vitest';
import { MissedKeepalives } from './missed-keepalives';

describe('MissedKeepalives', () => {
  it('three keepalives still unanswered when the next is due give server-gone at the third tick, without waiting for Timer F', () => {
    const m = new MissedKeepalives(3);
    m.sent();
    expect(m.due()).toBeUndefined();
    m.sent();
    expect(m.due()).toBeUndefined();
    m.sent();
    expect(m.due()).toBe('server-gone');
    expect(m.count).toBe(0);
  });

  it('a keepalive counted at its tick is not counted again when its Timer F fires', () => {
    const m = new MissedKeepalives(3);
    const a = m.sent();
    m.due();
    expect(m.settled(a, undefined)).toBeUndefined();
    expect(m.count).toBe(1);
  });

  it('a run with a non-2xx answer (404) gives reregister, not server-gone', () => {
    const m = new MissedKeepalives(3);
    expect(m.settled(m.sent(), 404)).toBeUndefined();
    expect(m.settled(m.sent(), undefined)).toBeUndefined();
    expect(m.settled(m.sent(), 404)).toBe('reregister');
  });

  it('a 2xx ends the run and the keepalives sent before it stop counting', () => {
    const m = new MissedKeepalives(3);
    m.sent();
    m.sent();
    const c = m.sent();
    expect(m.settled(c, 200)).toBeUndefined();
    expect(m.due()).toBeUndefined();
    expect(m.count).toBe(0);
  });

  it('keepalives sent before reset() count for nothing', () => {
    const m = new MissedKeepalives(1);
    const old = m.sent();
    m.reset();
    expect(m.settled(old, undefined)).toBeUndefined();
    expect(m.due()).toBeUndefined();
  });
});
