/** Response shapes the gateway returns that libs/contracts does not carry; the rest come from there. */
import type { CongestionHistoryPoint } from '@gb/contracts';
export type { DownloadDto, PlatformDto, PlatformState, RecordDto, RecordListDto, StreamDto } from '@gb/contracts';

/** One field a 400 VALIDATION_FAILED names (the gateway's `errors` list): `field` is the path, e.g. `port`, `channels.3`. */
export interface FieldProblem {
  field: string;
  message: string;
}

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

