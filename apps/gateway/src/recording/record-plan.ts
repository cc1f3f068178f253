import { z } from 'zod';
import type { RecordPlanMode, RecordScheduleRange } from '@gb/persistence';

/** Most ranges in a weekly schedule (a few per day in practice). */
export const MAX_SCHEDULE_RANGES = 100;
/** Longest pre-event time kept (seconds): event plans keep this much video rolling at all times. */
export const MAX_PRE_SECONDS = 300;
/** Longest post-event time (seconds). */
export const MAX_POST_SECONDS = 3600;
export const MINUTES_PER_DAY = 1440;

const range = z
  .object({
    day: z.number().int().min(0).max(6).describe('0 = Sunday … 6 = Saturday'),
    startMinute: z.number().int().min(0).max(MINUTES_PER_DAY - 1),
    endMinute: z.number().int().min(1).max(MINUTES_PER_DAY),
  })
  .strict()
  .refine((r) => r.endMinute > r.startMinute, { message: 'endMinute must be after startMinute' });

/** Body of PUT /api/channels/:channelId/record-plan. */
export const recordPlanBodySchema = z
  .object({
    deviceId: z.string().regex(/^[0-9A-Za-z]{1,32}$/).optional().describe('the device of the channel, when the channel ID alone is ambiguous'),
    mode: z.enum(['always', 'schedule', 'events']),
    enabled: z.boolean().default(true),
    schedule: z.array(range).max(MAX_SCHEDULE_RANGES).default([]),
    onAlarm: z.boolean().default(false),
    onCongestion: z.boolean().default(false),
    preSeconds: z.number().int().min(0).max(MAX_PRE_SECONDS).default(0),
    postSeconds: z.number().int().min(0).max(MAX_POST_SECONDS).default(0),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.mode === 'schedule' && p.schedule.length === 0) ctx.addIssue({ code: 'custom', path: ['schedule'], message: 'a schedule plan needs at least one range' });
    if (p.mode === 'events' && !p.onAlarm && !p.onCongestion) ctx.addIssue({ code: 'custom', path: ['onAlarm'], message: 'an events plan needs onAlarm or onCongestion' });
  });

export type RecordPlanBody = z.output<typeof recordPlanBodySchema>;

/** What a plan asks for at a moment. */
export interface PlanPlanView {
  mode: RecordPlanMode;
  enabled: boolean;
  schedule: readonly RecordScheduleRange[];
}

/**
 * Whether `at` falls inside one of the weekly ranges, in the gateway's local time (the zone of the process: TZ).
 * A range is [startMinute, endMinute) of its day; a range that should cross midnight is written as two.
 */
export function inSchedule(schedule: readonly RecordScheduleRange[], at: Date): boolean {
  const day = at.getDay();
  const minute = at.getHours() * 60 + at.getMinutes();
  return schedule.some((r) => r.day === day && minute >= r.startMinute && minute < r.endMinute);
}

/**
 * Whether the recorder of a plan runs now. `events` plans run whenever enabled (short segments rolling for the
 * pre-event seconds; event-windows.ts decides which are kept).
 */
export function wantsRecording(plan: PlanPlanView, at: Date): boolean {
  if (!plan.enabled) return false;
  if (plan.mode === 'schedule') return inSchedule(plan.schedule, at);
  return true;
}
