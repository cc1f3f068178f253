import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CONGESTION_LEVELS, congestionLevelOf as levelOf } from '@gb/contracts';
import { buildChannelTree, countNodes, parentOf, type TreeNode } from '../../web/src/channel-tree';
import { ago, bytes, duration, errorMessage } from '../../web/src/format';
import { linePath, timeTicks } from '../../web/src/chart-scale';

/** The dashboard's DOM-free logic (web/src), run in Node. */

const WEB_SRC = resolve(__dirname, '../../web/src');
const ch = (channelId: string, parentId: string | null) => ({ channelId, parentId });
const shape = <T extends { channelId: string }>(nodes: TreeNode<T>[]): unknown[] => nodes.map((n) => (n.children.length ? { [n.item.channelId]: shape(n.children) } : n.item.channelId));

describe('buildChannelTree()', () => {
  it('with ParentID = the device for all, returns every channel as a root in input order', () => {
    const dev = '34020000001180000001';
    expect(shape(buildChannelTree([ch('a', dev), ch('b', dev), ch('c', null)]))).toEqual(['a', 'b', 'c']);
  });

  it('with a channel whose ParentID is another channel, nests it there (two levels)', () => {
    expect(shape(buildChannelTree([ch('a', 'dev'), ch('b', 'a'), ch('c', 'b'), ch('d', 'a')]))).toEqual([{ a: [{ b: ['c'] }, 'd'] }]);
  });

  it('with a path-style ParentID ("device/group"), uses its last segment', () => {
    expect(parentOf('34020000001180000001/34020000002160000001')).toBe('34020000002160000001');
    expect(parentOf('')).toBeNull();
    expect(shape(buildChannelTree([ch('g', 'dev'), ch('x', 'dev/g/')]))).toEqual([{ g: ['x'] }]);
  });

  it('with a cycle (a -> b -> a) or a self-parent, lists each channel exactly once', () => {
    const roots = buildChannelTree([ch('a', 'b'), ch('b', 'a'), ch('s', 's')]);
    expect(countNodes(roots)).toBe(3);
    expect(shape(roots)).toEqual([{ b: ['a'] }, 's']);
  });

  it('for any parent links (fuzz, fixed seed), every channel appears exactly once and the forest is finite', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.option(fc.integer({ min: 0, max: 35 }), { nil: null })), { maxLength: 40 }), (pairs) => {
        const items = pairs.map(([id, p]) => ch(`c${id}`, p === null ? null : `c${p}`));
        const unique = new Set(items.map((i) => i.channelId));
        const seen: string[] = [];
        const walk = (ns: TreeNode<{ channelId: string }>[], depth: number) => {
          expect(depth).toBeLessThanOrEqual(unique.size);
          for (const n of ns) {
            seen.push(n.item.channelId);
            walk(n.children, depth + 1);
          }
        };
        walk(buildChannelTree(items), 0);
        expect(seen.sort()).toEqual([...unique].sort());
      }),
      { seed: 28181, numRuns: 300 },
    );
  });
});

describe('errorMessage()', () => {
  it('with the gateway error body, returns its message as is', () => {
    expect(errorMessage(401, 'Unauthorized', { statusCode: 401, code: 'UNAUTHORIZED', message: 'Invalid username or password' })).toBe('Invalid username or password');
  });

  it('with field errors already in the message, does not repeat them; with others, appends them', () => {
    const errors = [{ field: 'charset', message: 'Invalid option' }];
    expect(errorMessage(400, '', { message: 'charset: Invalid option', errors })).toBe('charset: Invalid option');
    expect(errorMessage(400, '', { message: 'Validation failed', errors })).toBe('Validation failed (charset: Invalid option)');
  });

  it('with a body that is not the gateway’s (proxy HTML, null), falls back to the HTTP status', () => {
    expect(errorMessage(502, 'Bad Gateway', null)).toBe('Request failed: HTTP 502 Bad Gateway');
    expect(errorMessage(500, '', { error: 'x' })).toBe('Request failed: HTTP 500');
  });
});

describe('format helpers', () => {
  it('ago() reads seconds, minutes, hours and days; null is "never"', () => {
    const now = Date.parse('2024-05-01T12:00:00Z');
    expect(ago('2024-05-01T11:59:48Z', now)).toBe('12 s ago');
    expect(ago('2024-05-01T11:55:00Z', now)).toBe('5 min ago');
    expect(ago('2024-05-01T09:00:00Z', now)).toBe('3 h ago');
    expect(ago('2024-04-29T12:00:00Z', now)).toBe('2 d ago');
    expect(ago(null, now)).toBe('never');
    expect(ago('garbage', now)).toBe('never');
  });

  it('duration() and bytes() print record lengths and sizes', () => {
    expect(duration(59)).toBe('0:59');
    expect(duration(3723)).toBe('1:02:03');
    expect(bytes(512)).toBe('512 B');
    expect(bytes(1536 * 1024)).toBe('1.5 MB');
    expect(bytes(null)).toBe('');
  });
});

describe('chart scale', () => {
  it('timeTicks() over one hour picks the smallest round step within maxTicks (10 min for 6, 15 min for 4; seconds for a minute)', () => {
    const from = Date.parse('2024-05-01T10:07:00Z');
    const hhmm = (ts: number[]) => ts.map((t) => new Date(t).toISOString().slice(11, 16));
    expect(hhmm(timeTicks(from, from + 3_600_000, 6, 0))).toEqual(['10:10', '10:20', '10:30', '10:40', '10:50', '11:00']);
    expect(hhmm(timeTicks(from, from + 3_600_000, 4, 0))).toEqual(['10:15', '10:30', '10:45', '11:00']);
    expect(timeTicks(from, from, 4, 0)).toEqual([]);
    const min = Date.parse('2024-05-01T10:07:05Z');
    // one minute: 10 s steps for 6 ticks, 15 s steps for 4
    expect(timeTicks(min, min + 60_000, 6, 0).map((t) => new Date(t).getUTCSeconds())).toEqual([10, 20, 30, 40, 50, 0]);
    expect(timeTicks(min, min + 60_000, 4, 0).map((t) => new Date(t).getUTCSeconds())).toEqual([15, 30, 45, 0]);
  });

  it('timeTicks() aligns to local time (UTC+8: offset -480)', () => {
    const from = Date.parse('2024-05-01T00:00:00Z');
    const ticks = timeTicks(from, from + 24 * 3_600_000, 4, -480);
    // 6 h steps at local 00/06/12/18, i.e. UTC 16/22/04/10
    expect(ticks.map((t) => new Date(t).getUTCHours())).toEqual([4, 10, 16, 22]);
  });

  it('linePath() breaks the line over a gap wider than maxGap', () => {
    expect(linePath([{ x: 0, y: 1 }, { x: 1, y: 2 }, { x: 10, y: 3 }], 5)).toBe('M0,1L1,2M10,3');
    expect(linePath([{ x: 0, y: 1 }, { x: NaN, y: 2 }, { x: 2, y: 3 }])).toBe('M0,1L2,3');
  });

  it('congestionLevelOf() (libs/contracts, the one rule the dashboard, gateway and worker share) follows docs/congestion.md band edges 20/40/60/80 in the contracts’ level order', () => {
    expect([0, 19.9, 20, 39, 40, 59, 60, 79, 80, 100].map(levelOf)).toEqual(['free', 'free', 'light', 'light', 'moderate', 'moderate', 'heavy', 'heavy', 'severe', 'severe']);
    expect([10, 30, 50, 70, 90].map(levelOf)).toEqual([...CONGESTION_LEVELS]);
  });
});

describe('web/ dependency rule', () => {
  it('every import in web/src is relative or of @gb/contracts (pure, dependency-free, bundled by vite: the one ID rule and level function)', () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name.endsWith('.ts')) files.push(join(d, e.name));
      }
    };
    walk(WEB_SRC);
    expect(files.length).toBeGreaterThan(10);
    const bad: string[] = [];
    for (const f of files) {
      const src = readFileSync(f, 'utf8');
      for (const m of src.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
        const spec = m[3];
        if (spec!.startsWith('./') || spec!.startsWith('../')) continue;
        if (spec === '@gb/contracts') continue;
        bad.push(`${f.slice(WEB_SRC.length + 1)}: ${m[0].trim()}`);
      }
      for (const m of src.matchAll(/\b(require\(|import\()\s*['"]([^'"]+)['"]/g)) bad.push(`${f.slice(WEB_SRC.length + 1)}: ${m[0]}`);
    }
    expect(bad).toEqual([]);
  });
});
