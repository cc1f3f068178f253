import { describe, expect, it } from 'vitest';
import { NonceIssuer } from './nonce';

describe('NonceIssuer', () => {
  it('accepts its own fresh nonce', () => {
    const n = new NonceIssuer(300);
    expect(n.check(n.issue(1_000_000), 1_000_000 + 299_000)).toBe('ok');
  });
  it('reports its own old nonce as stale', () => {
    const n = new NonceIssuer(300);
    expect(n.check(n.issue(1_000_000), 1_000_000 + 301_000)).toBe('stale');
  });
  it('rejects a forged, tampered or foreign nonce', () => {
    const n = new NonceIssuer();
    const other = new NonceIssuer();
    const good = n.issue(5_000_000);
    expect(n.check(other.issue(5_000_000), 5_000_000)).toBe('invalid');
    expect(n.check(good.slice(0, -1) + (good.endsWith('0') ? '1' : '0'), 5_000_000)).toBe('invalid');
    expect(n.check('9bd055b0a7e5b2a7', 5_000_000)).toBe('invalid');
    expect(n.check('', 5_000_000)).toBe('invalid');
    expect(n.check('zz'.repeat(12), 5_000_000)).toBe('invalid');
  });
});
