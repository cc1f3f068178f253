/** Response shapes the gateway returns that libs/contracts does not carry; the rest come from there. */
import type { CongestionHistoryPoint } from '@gb/contracts';
export type { DownloadDto, RecordDto, RecordListDto, StreamDto } from '@gb/contracts';

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

/** Registration state of a superior platform (docs/cascade.md "API"). */
export type PlatformState = 'registering' | 'online' | 'failed' | 'disabled';

/**
 * GET /api/platforms: a superior platform with its registration state; the password is never returned. A copy of
 * apps/gateway/src/cascade/platforms.dto.ts `PlatformDto` (web/ may import only libs/contracts).
 */
export interface PlatformDto {
  id: string;
  name: string;
  serverId: string;
  domain: string;
  host: string;
  port: number;
  transport: 'udp' | 'tcp';
  /** Our ID towards this superior (the gateway's SIP_ID unless set). */
  localId: string;
  expiresS: number;
  keepaliveS: number;
  charset: string;
  shareAll: boolean;
  channels: string[];
  enabled: boolean;
  ownerNode: string;
  state: PlatformState;
  /** `<CODE>: <detail>` of the last failure; null once registered. */
  cause: string | null;
  stateAt: string | null;
  lastKeepaliveAt: string | null;
  registeredUntil: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  updatedAt: string;
}
