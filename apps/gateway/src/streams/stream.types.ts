import type { StreamTransport } from '@gb/contracts';

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
