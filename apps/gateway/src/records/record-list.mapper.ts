import type { RecordInfoResult, RecordItem } from '@gb/gb28181';
import type { RecordDto, RecordListDto } from '@gb/contracts';
import { parseGbTime } from './record-time';

export type { RecordDto, RecordListDto };



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
