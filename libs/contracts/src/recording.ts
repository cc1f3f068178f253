/** Recording on the platform (issue 12 item 2): record plans and recorded segments, as the API returns them. */

export type RecordPlanMode = 'always' | 'schedule' | 'events';

/** One weekly range: day 0 (Sunday)..6, minutes of that day [startMinute, endMinute), in the gateway's local time. */
export interface RecordScheduleRangeDto {
  day: number;
  startMinute: number;
  endMinute: number;
}

export interface RecordPlanDto {
  channelId: string;
  deviceId: string;
  mode: RecordPlanMode;
  enabled: boolean;
  schedule: RecordScheduleRangeDto[];
  onAlarm: boolean;
  onCongestion: boolean;
  preSeconds: number;
  postSeconds: number;
  updatedAt: string;
  /** What the node that owns the device does about it now: recording, waiting (with why), retrying (with the stream's failure). */
  status: { state: 'recording' | 'starting' | 'retrying' | 'waiting'; cause: string | null; retryAt: string | null; segmentStartedAt: string | null };
}

export interface RecordingSegmentDto {
  id: string;
  start: string;
  /** null while it is being written. */
  end: string | null;
  bytes: number;
  codec: string;
}

export interface RecordingsDto {
  channelId: string;
  from: string;
  to: string;
  segments: RecordingSegmentDto[];
  /** The time the segments cover, adjacent ones (within 1 s) merged. */
  ranges: { start: string; end: string }[];
  /** Signed media URLs for [from, to): HLS VOD playlist and MP4 download. */
  urls: { hls: string; download: string };
}
