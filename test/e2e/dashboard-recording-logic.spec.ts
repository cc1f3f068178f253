import { describe, expect, it } from 'vitest';
import { formatDayRanges, parseDayRanges } from '../../web/src/recording/day-ranges';

describe('dashboard record plan editor: weekly ranges as text', () => {
  it('parseDayRanges() reads "HH:MM-HH:MM" lists into minute ranges; formatDayRanges() writes them back', () => {
    expect(parseDayRanges('08:00-18:00, 20:30-24:00')).toEqual([{ startMinute: 480, endMinute: 1080 }, { startMinute: 1230, endMinute: 1440 }]);
    expect(parseDayRanges('')).toEqual([]);
    expect(formatDayRanges([{ startMinute: 480, endMinute: 1080 }, { startMinute: 1230, endMinute: 1440 }])).toBe('08:00-18:00, 20:30-24:00');
  });

  it('refuses reversed, empty, out-of-day and malformed ranges', () => {
    for (const bad of ['18:00-08:00', '08:00-08:00', '08:00-24:01', '25:00-26:00', '08:60-09:00', '8-9', 'always']) expect(parseDayRanges(bad), bad).toBeNull();
  });
});
