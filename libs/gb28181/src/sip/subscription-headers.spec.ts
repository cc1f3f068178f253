import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Gb28181Error } from '../errors';
import { MAX_SUBSCRIPTION_STATE_SECONDS, parseEventHeader, parseSubscriptionState } from './subscription-headers';

describe('parseEventHeader() (RFC 6665 §8.2.1)', () => {
  it('reads the package and the id parameter', () => {
    expect(parseEventHeader('Catalog')).toEqual({ event: 'Catalog', id: null });
    expect(parseEventHeader(' Catalog ; id=17 ')).toEqual({ event: 'Catalog', id: '17' });
    expect(parseEventHeader('presence;ID="a1"')).toEqual({ event: 'presence', id: 'a1' });
  });

  it('refuses an empty or non-token package, a bad parameter name and an over-long value with SIP_BAD_HEADER', () => {
    for (const v of ['', ' ', 'Cata log', 'Catalog;=1', 'Catalog;a b=1', `Catalog;x=${'9'.repeat(600)}`, '<Catalog>']) {
      expect(() => parseEventHeader(v), v).toThrow(expect.objectContaining({ code: 'SIP_BAD_HEADER' }));
    }
  });
});

describe('parseSubscriptionState() (RFC 6665 §4.1.3, §8.2.3)', () => {
  it('reads active / pending / terminated with expires, reason and retry-after; seconds are bounded', () => {
    expect(parseSubscriptionState('active;expires=3600')).toEqual({ state: 'active', reason: null, expiresS: 3600, retryAfterS: null });
    expect(parseSubscriptionState('Terminated;Reason=Timeout')).toEqual({ state: 'terminated', reason: 'timeout', expiresS: null, retryAfterS: null });
    expect(parseSubscriptionState('terminated;reason=probation;retry-after=30')).toMatchObject({ reason: 'probation', retryAfterS: 30 });
    expect(parseSubscriptionState('active;expires=99999999999')).toMatchObject({ expiresS: null });
    expect(parseSubscriptionState('active;expires=9999999999')).toMatchObject({ expiresS: MAX_SUBSCRIPTION_STATE_SECONDS });
    expect(parseSubscriptionState('active;expires=-5;retry-after=1.5')).toMatchObject({ expiresS: null, retryAfterS: null });
  });

  it('any string: a value or a coded error, never another exception', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (s) => {
      try {
        const v = parseSubscriptionState(s);
        expect(typeof v.state).toBe('string');
      } catch (e) {
        expect(e).toBeInstanceOf(Gb28181Error);
      }
    }));
  });
});
