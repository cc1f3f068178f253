/** Response shapes the gateway returns that libs/contracts does not carry; the rest come from there. */
import type { CongestionHistoryPoint } from '@gb/contracts';
export type { DownloadDto, RecordDto, RecordListDto, StreamDto } from '@gb/contracts';

export interface LoginResponse {
  accessToken: string;
  expiresIn: number;
}

export interface CongestionHistoryDto {
  channelId: string;
  from: string;
  to: string;
  points: CongestionHistoryPoint[];
}
