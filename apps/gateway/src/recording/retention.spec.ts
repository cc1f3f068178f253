import { describe, expect, it } from 'vitest';
import { DAY_MS, selectForDeletion } from './retention';

const now = Date.UTC(2026, 11, 3);
const segs = [
  { id: 'a', startAt: now - 10 * DAY_MS, bytes: 100 },
  { id: 'b', startAt: now - 8 * DAY_MS, bytes: 100 },
  { id: 'c', startAt: now - 2 * DAY_MS, bytes: 100 },
  { id: 'd', startAt: now - 1 * DAY_MS, bytes: 100 },
];

describe('selectForDeletion()', () => {
  it('takes segments older than the retention, oldest first, and stops at the first younger one', () => {
    expect(selectForDeletion({ oldest: segs, totalBytes: 400, now, retentionDays: 7, quotaBytes: 0 })).toEqual(['a', 'b']);
    expect(selectForDeletion({ oldest: segs, totalBytes: 400, now, retentionDays: 0, quotaBytes: 0 })).toEqual([]);
  });

  it('then takes the oldest until the total fits the quota', () => {
    expect(selectForDeletion({ oldest: segs, totalBytes: 400, now, retentionDays: 0, quotaBytes: 250 })).toEqual(['a', 'b']);
    expect(selectForDeletion({ oldest: segs, totalBytes: 400, now, retentionDays: 9, quotaBytes: 150 })).toEqual(['a', 'b', 'c']);
    expect(selectForDeletion({ oldest: segs, totalBytes: 400, now, retentionDays: 0, quotaBytes: 400 })).toEqual([]);
  });
});
