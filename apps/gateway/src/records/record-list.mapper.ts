import type { RecordInfoResult, RecordItem } from '@gb/gb28181';
import { parseGbTime } from './record-time';

/** One recording as the API returns it. */
export interface RecordDto {
  /** ISO 8601 (UTC). */
  startTime: string;
  endTime: string;
  /** Unix seconds. */
  start: number;
  end: number;
  name: string | null;
  filePath: string | null;
  /** time / alarm / manual / all, as the device sent it. */
  type: string | null;
  fileSize: number | null;
}

export interface RecordListDto {
  deviceId: string;
  channelId: string;
  /** SumNum the device announced. */
  sumNum: number;
  /** False when packets were missing (gap or overall timeout) or the list passed the item bound. */
  complete: boolean;
  records: RecordDto[];
  /** Items left out because their StartTime/EndTime was unreadable or ended before it started. */
  dropped: number;
}

/** Maps one RecordInfo item; null when its times are unreadable or inverted. */
export function toRecordDto(item: RecordItem): RecordDto | null {
  const start = parseGbTime(item.startTime);
  const end = parseGbTime(item.endTime);
  if (start === null || end === null || end < start) return null;
  return {
    startTime: new Date(start * 1000).toISOString(),
    endTime: new Date(end * 1000).toISOString(),
    start,
    end,
    name: item.name,
    filePath: item.filePath,
    type: item.type,
    fileSize: item.fileSize,
  };
}

/** An aggregated RecordInfo answer as the API returns it: readable items, sorted by start then end. */
export function toRecordList(deviceId: string, channelId: string, r: Pick<RecordInfoResult, 'sumNum' | 'complete' | 'items'>): RecordListDto {
  const records: RecordDto[] = [];
  let dropped = 0;
  for (const item of r.items) {
    const dto = toRecordDto(item);
    if (dto) records.push(dto);
    else dropped++;
  }
  records.sort((a, b) => a.start - b.start || a.end - b.end);
  return { deviceId, channelId, sumNum: r.sumNum, complete: r.complete, records, dropped };
}
