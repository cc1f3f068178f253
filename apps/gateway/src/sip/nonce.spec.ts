import { describe, expect, it } from 'vitest';
import { NonceIssuer } from './nonce';

const T0 = 1_000_000_000; // a virtual clock, ms

describe('NonceIssuer.check()', () => {
  it('accepts its own fresh nonce up to its maximum age', () => {
    const n = new NonceIssuer(300);
    expect(n.check(n.issue(T0), T0 + 299_000)).toBe('ok');
  });
  it('reports its own nonce older than the maximum age as stale', () => {
    const n = new NonceIssuer(300);
    expect(n.check(n.issue(T0), T0 + 301_000)).toBe('stale');
  });
  it('rejects a forged, tampered or foreign nonce as invalid', () => {
    const n = new NonceIssuer();
    const other = new NonceIssuer();
    const good = n.issue(T0);
    expect(n.check(other.issue(T0), T0)).toBe('invalid');
    expect(n.check(good.slice(0, -1) + (good.endsWith('0') ? '1' : '0'), T0)).toBe('invalid');
    expect(n.check('9bd055b0a7e5b2a7', T0)).toBe('invalid');
    expect(n.check('', T0)).toBe('invalid');
    expect(n.check('zz'.repeat(16), T0)).toBe('invalid');
  });
  it('issues a different nonce for each challenge, even within one second', () => {
    const n = new NonceIssuer();
    const a = n.issue(T0);
    const b = n.issue(T0);
    expect(a).not.toBe(b);
    expect([n.check(a, T0), n.check(b, T0)]).toEqual(['ok', 'ok']);
  });
});

describe('NonceIssuer.use() (replay, issue #16)', () => {
  it('without qop a nonce is good once: the second use is a replay', () => {
    const n = new NonceIssuer();
    const nonce = n.issue(T0);
    expect(n.use(nonce, undefined, T0 + 10)).toBe('fresh');
    expect(n.use(nonce, undefined, T0 + 20)).toBe('replayed');
  });
  it('with qop=auth each use needs a higher nc than the last; a repeated or lower nc is a replay', () => {
    const n = new NonceIssuer();
    const nonce = n.issue(T0);
    expect(n.use(nonce, 1, T0)).toBe('fresh');
    expect(n.use(nonce, 1, T0)).toBe('replayed');
    expect(n.use(nonce, 2, T0)).toBe('fresh');
    expect(n.use(nonce, 5, T0)).toBe('fresh');
    expect(n.use(nonce, 3, T0)).toBe('replayed');
  });
  it('a nonce once used without qop cannot be reused with qop either', () => {
    const n = new NonceIssuer();
    const nonce = n.issue(T0);
    expect(n.use(nonce, undefined, T0)).toBe('fresh');
    expect(n.use(nonce, 7, T0)).toBe('replayed');
  });
  it('different nonces are independent', () => {
    const n = new NonceIssuer();
    const a = n.issue(T0);
    const b = n.issue(T0 + 1000);
    expect(n.use(a, undefined, T0 + 1000)).toBe('fresh');
    expect(n.use(b, undefined, T0 + 1000)).toBe('fresh');
  });
  it('use records of expired nonces are dropped as the clock passes their maximum age', () => {
    const n = new NonceIssuer(300);
    for (let i = 0; i < 10; i++) n.use(n.issue(T0 + i * 1000), undefined, T0 + i * 1000);
    expect(n.trackedCount).toBe(10);
    n.use(n.issue(T0 + 400_000), undefined, T0 + 400_000);
    expect(n.trackedCount).toBe(1);
  });
  it('past its cap it forgets the oldest and refuses every nonce issued up to that one (bounded, never replayable)', () => {
    const n = new NonceIssuer(300, 3);
    const nonces = [0, 1, 2, 3].map((i) => n.issue(T0 + i * 1000));
    for (const x of nonces.slice(0, 3)) expect(n.use(x, undefined, T0 + 3000)).toBe('fresh');
    expect(n.use(nonces[3]!, undefined, T0 + 3000)).toBe('fresh'); // evicts nonces[0]
    expect(n.trackedCount).toBe(3);
    expect(n.use(nonces[0]!, undefined, T0 + 3000)).toBe('replayed');
    expect(n.use(nonces[3]!, undefined, T0 + 3000)).toBe('replayed');
  });
});
