import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatchedLoader } from './batched-loader';

afterEach(() => vi.useRealTimers());

describe('BatchedLoader', () => {
  it('callers within the window share one read; a key asked twice is read once; a key the read lacks gives undefined', async () => {
    vi.useFakeTimers();
    const reads: string[][] = [];
    const loader = new BatchedLoader<string, number>({ windowMs: 10, max: 100, load: async (keys) => (reads.push(keys), new Map(keys.filter((k) => k !== 'c').map((k) => [k, k.charCodeAt(0)]))) });
    const got = Promise.all(['a', 'b', 'a', 'c'].map((k) => loader.get(k)));
    await vi.advanceTimersByTimeAsync(9);
    expect(reads).toEqual([]);
    expect(loader.pending).toBe(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(await got).toEqual([97, 98, 97, undefined]);
    expect(reads).toEqual([['a', 'b', 'c']]);
    const next = loader.get('d');
    await vi.advanceTimersByTimeAsync(10);
    expect(await next).toBe(100);
    expect(reads).toHaveLength(2);
  });

  it('reads at once when max distinct keys wait; a failed read (thrown or rejected) rejects every caller of its batch only', async () => {
    vi.useFakeTimers();
    let fail: 'throw' | 'reject' | null = null;
    const reads: string[][] = [];
    const loader = new BatchedLoader<string, string>({
      windowMs: 1000, max: 2,
      load: (keys) => {
        reads.push(keys);
        if (fail === 'throw') throw new Error('db down');
        return fail === 'reject' ? Promise.reject(new Error('db gone')) : Promise.resolve(new Map(keys.map((k) => [k, k.toUpperCase()])));
      },
    });
    const a = loader.get('x');
    const b = loader.get('y');
    expect(reads).toEqual([['x', 'y']]); // no timer needed
    expect(await Promise.all([a, b])).toEqual(['X', 'Y']);
    fail = 'throw';
    const c = Promise.allSettled([loader.get('p'), loader.get('p'), loader.get('q')]);
    expect((await c).map((r) => (r.status === 'rejected' ? (r.reason as Error).message : r.value))).toEqual(['db down', 'db down', 'db down']);
    fail = 'reject';
    const d = Promise.allSettled([loader.get('r')]);
    await vi.advanceTimersByTimeAsync(1000);
    expect((await d).map((r) => r.status)).toEqual(['rejected']);
    fail = null;
    const e = loader.get('s');
    await vi.advanceTimersByTimeAsync(1000);
    expect(await e).toBe('S');
  });

  it('close() rejects the callers waiting, reads nothing more and leaves no timer', async () => {
    vi.useFakeTimers();
    let reads = 0;
    const loader = new BatchedLoader<string, string>({ windowMs: 50, max: 10, load: async () => (reads++, new Map()) });
    const waiting = loader.get('a');
    loader.close();
    loader.close();
    await expect(waiting).rejects.toThrow(/closed/);
    await expect(loader.get('b')).rejects.toThrow(/closed/);
    expect(vi.getTimerCount()).toBe(0);
    expect(reads).toBe(0);
  });
});
