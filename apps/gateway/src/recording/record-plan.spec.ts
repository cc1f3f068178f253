import { describe, expect, it } from 'vitest';
import { MAX_SCHEDULE_RANGES, inSchedule, recordPlanBodySchema, wantsRecording } from './record-plan';

// Local times (the schedule is in the gateway's time zone): 2026-12-07 is a Monday (day 1).
const monday = (h: number, m = 0) => new Date(2026, 11, 7, h, m);

describe('record plans', () => {
  it('inSchedule() is true inside [startMinute, endMinute) of the range\'s weekday only', () => {
    const s = [{ day: 1, startMinute: 8 * 60, endMinute: 18 * 60 }, { day: 0, startMinute: 0, endMinute: 1440 }];
    expect(inSchedule(s, monday(7, 59))).toBe(false);
    expect(inSchedule(s, monday(8, 0))).toBe(true);
    expect(inSchedule(s, monday(17, 59))).toBe(true);
    expect(inSchedule(s, monday(18, 0))).toBe(false);
    expect(inSchedule(s, new Date(2026, 11, 8, 12))).toBe(false); // Tuesday
    expect(inSchedule(s, new Date(2026, 11, 6, 23, 59))).toBe(true); // Sunday, whole day
  });

  it('wantsRecording(): always and events run while enabled; schedule follows its ranges; disabled never', () => {
    expect(wantsRecording({ mode: 'always', enabled: true, schedule: [] }, monday(3))).toBe(true);
    expect(wantsRecording({ mode: 'events', enabled: true, schedule: [] }, monday(3))).toBe(true);
    expect(wantsRecording({ mode: 'always', enabled: false, schedule: [] }, monday(3))).toBe(false);
    expect(wantsRecording({ mode: 'schedule', enabled: true, schedule: [{ day: 1, startMinute: 0, endMinute: 60 }] }, monday(0, 30))).toBe(true);
    expect(wantsRecording({ mode: 'schedule', enabled: true, schedule: [{ day: 1, startMinute: 0, endMinute: 60 }] }, monday(1))).toBe(false);
  });

  it('the body schema fills defaults and refuses hostile or incoherent plans', () => {
    expect(recordPlanBodySchema.parse({ mode: 'always' })).toEqual({ mode: 'always', enabled: true, schedule: [], onAlarm: false, onCongestion: false, preSeconds: 0, postSeconds: 0 });
    const bad = [
      { mode: 'sometimes' },
      { mode: 'schedule' },
      { mode: 'schedule', schedule: [{ day: 7, startMinute: 0, endMinute: 10 }] },
      { mode: 'schedule', schedule: [{ day: 1, startMinute: 600, endMinute: 600 }] },
      { mode: 'schedule', schedule: Array.from({ length: MAX_SCHEDULE_RANGES + 1 }, () => ({ day: 1, startMinute: 0, endMinute: 10 })) },
      { mode: 'events' },
      { mode: 'events', onAlarm: true, preSeconds: 301 },
      { mode: 'events', onAlarm: true, postSeconds: -1 },
      { mode: 'always', extra: 1 },
      { mode: 'always', deviceId: '../x' },
    ];
    for (const b of bad) expect(recordPlanBodySchema.safeParse(b).success, JSON.stringify(b).slice(0, 80)).toBe(false);
  });
});
