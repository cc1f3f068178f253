import type { DownloadProgressDto } from './events';
import type { StreamTransport } from './devices';

/** Shapes of the video API: live/playback streams, recordings on devices, downloads. */
export type StreamState = 'inviting' | 'waiting-media' | 'playing' | 'failed' | 'closed';

export interface StreamDto {
  streamId: string;
  deviceId: string;
  channelId: string;
  kind: 'live' | 'playback' | 'download';
  transport: StreamTransport;
  state: StreamState;
  viewers: number;
  codec: string | null;
  audioCodec: string | null;
  width: number | null;
  height: number | null;
  bitrateKbps: number;
  packets: number;
  packetsLost: number;
  wrongSsrc: number;
  /** Datagrams/frames at the stream's port that were not RTP. */
  garbage: number;
  ssrc: string;
  offered: string;
  source: string | null;
  since: string;
  error: string | null;
  /** Playback: paused, speed, whether the device reported the end of the file. */
  paused?: boolean;
  scale?: number;
  ended?: boolean;
  urls: { hls: string; flv: string; wsFlv: string; player: string };
}

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

/** A download as the API returns it. */
export interface DownloadDto extends DownloadProgressDto {
  /** Unix seconds of the requested range. */
  start: number;
  end: number;
  /** a=downloadspeed asked of the device. */
  speed: number;
  /** Where the MP4 can be fetched once done (bearer auth). */
  url: string;
  createdAt: string;
  finishedAt: string | null;
}
