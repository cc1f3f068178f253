/**
 * Response shapes the gateway returns that libs/contracts does not (yet) carry. Mirrors of
 * apps/gateway/src/streams/stream.types.ts (StreamDto), records/record-list.mapper.ts (RecordListDto),
 * records/download-job.ts (DownloadDto) and congestion.service.ts (history); the dashboard reads only the fields below.
 */
import type { CongestionHistoryPoint, DownloadProgressDto, StreamTransport } from '@gb/contracts';

export interface LoginResponse {
  accessToken: string;
  expiresIn: number;
}

export interface StreamDto {
  streamId: string;
  deviceId: string;
  channelId: string;
  kind: 'live' | 'playback' | 'download';
  transport: StreamTransport;
  state: string;
  codec: string | null;
  width: number | null;
  height: number | null;
  bitrateKbps: number;
  error: string | null;
  urls: { hls: string; flv: string; wsFlv: string; player: string };
}

export interface RecordDto {
  startTime: string;
  endTime: string;
  start: number;
  end: number;
  name: string | null;
  filePath: string | null;
  type: string | null;
  fileSize: number | null;
}

export interface RecordListDto {
  deviceId: string;
  channelId: string;
  sumNum: number;
  complete: boolean;
  records: RecordDto[];
  dropped: number;
}

export interface DownloadDto extends DownloadProgressDto {
  start: number;
  end: number;
  speed: number;
  url: string;
  createdAt: string;
  finishedAt: string | null;
}

export interface CongestionHistoryDto {
  channelId: string;
  from: string;
  to: string;
  points: CongestionHistoryPoint[];
}
