import { describe, it, expect } from 'vitest';
import { StreamLeases } from '../../web/src/wall/stream-leases';
import { MAX_TILES, WALL_LAYOUTS, layoutOf } from '../../web/src/wall/wall-layouts';
import { tokenSubject } from '../../web/src/wall/token-subject';

/** The video wall's DOM-free logic (web/src/wall), run in Node. */

const jwt = (payload: unknown) => `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;

describe('StreamLeases', () => {
  it('release() of a stream two tiles hold stops it only when the second tile lets go', async () => {
    const stopped: string[] = [];
    const leases = new StreamLeases(async (id) => stopped.push(id));
    leases.acquire('a');
    leases.acquire('a');
    await leases.release('a');
    expect(stopped).toEqual([]);
    expect(leases.held('a')).toBe(1);
    await leases.release('a');
    expect(stopped).toEqual(['a']);
    expect(leases.held('a')).toBe(0);
  });

  it('release() whose stop fails resolves (the failure is logged, the tile goes on)', async () => {
    const leases = new StreamLeases(() => Promise.reject(new Error('network')));
    leases.acquire('a');
    await expect(leases.release('a')).resolves.toBeUndefined();
  });
});

describe('tokenSubject()', () => {
  it('reads the sub claim of a base64url JWT payload, whatever its padding', () => {
    expect(tokenSubject(jwt({ sub: 'admin', role: 'admin' }))).toBe('admin');
    expect(tokenSubject(jwt({ sub: 'op-1?>', role: 'viewer' }))).toBe('op-1?>');
  });

  it('is null for an API key, a payload without sub, or garbage', () => {
    expect(tokenSubject('gbk_0123456789')).toBeNull();
    expect(tokenSubject(jwt({ role: 'admin' }))).toBeNull();
    expect(tokenSubject('a.%%%.b')).toBeNull();
    expect(tokenSubject(null)).toBeNull();
  });
});

describe('wall layouts', () => {
  it('every layout fills its grid exactly (1+5: one 2×2 tile and five on a 3×3 grid) and none exceeds MAX_TILES', () => {
    for (const l of WALL_LAYOUTS) {
      const cells = Array.from({ length: l.tiles }, (_, i) => (l.spans?.[i] ?? 1) ** 2).reduce((a, b) => a + b, 0);
      expect(cells, l.id).toBe(l.cols * l.rows);
      expect(l.tiles).toBeLessThanOrEqual(MAX_TILES);
    }
  });

  it('layoutOf() of an unknown id is the 2×2 default', () => {
    expect(layoutOf('7').id).toBe('4');
    expect(layoutOf('1+5').tiles).toBe(6);
  });
});
