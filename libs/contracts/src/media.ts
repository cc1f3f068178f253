import type { DownloadProgressDto } from './events';
import type { StreamTransport } from './devices';

/** Shapes of the video API: live/playback streams, recordings on devices, downloads. */
/**
 * A stream's life (apps/gateway/src/streams/stream-session.ts):
 * inviting -> answered -> waiting-media -> receiving (first RTP) -> playing (first keyframe) -> closing -> closed | failed.
 */
export type StreamState = 'inviting' | 'answered' | 'waiting-media' | 'receiving' | 'playing' | 'closing' | 'failed' | 'closed';

export type StreamKind = 'live' | 'playback' | 'download';

export interface StreamDto {
  streamId: string;
  deviceId: string;
  channelId: string;
  kind: StreamKind;
  /** Live: the channel's main stream or its substream (a separate stream with its own ID, `…_sub`). */
  stream?: 'main' | 'sub';
  transport: StreamTransport;
  state: StreamState;
  /** The Call-ID of the stream's INVITE and dialog (null only when it failed before the INVITE was sent, e.g. PORTS_EXHAUSTED). */
  callId: string | null;
  viewers: number;
  codec: string | null;
  audioCodec: string | null;
  /**
   * Live: whether the browser outputs (FLV, HLS) carry the AAC track, and how many camera audio units were left out
   * because they came after the first keyframe without a PSM entry (the channel's next stream then starts with the track).
   */
  audioTrack?: boolean;
  audioUndeclaredUnits?: number;
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
  /** The failure's code from the error catalogue (DEVICE_REFUSED, MEDIA_NO_RTP, ...), null unless failed. */
  errorCode: string | null;
  /** DEVICE_REFUSED: the SIP status the device answered with. */
  sipStatus?: number;
  /** Live HLS: remuxer (ffmpeg) children restarted after one died, and how the last one ended ("killed by SIGKILL"). */
  remuxRestarts: number;
  remuxLastExit: string | null;
  /** Playback: paused, speed, whether the device reported the end of the file. */
  paused?: boolean;
  scale?: number;
  ended?: boolean;
  /**
   * Set when the URLs carry a rendition of another stream rather than the camera's own video: an H.264 transcode of an
   * H.265 stream for browsers without HEVC (POST …/play {codec: "h264"}). `codec` above is then the rendition's.
   */
  rendition?: { codec: 'h264'; transcode: true; sourceStreamId: string; sourceCodec: string };
  urls: { hls: string; flv: string; wsFlv: string; player: string; /** WHEP endpoint (POST an SDP offer): WebRTC playback of H.264 streams; absent where WebRTC is not offered. */ webrtc?: string };
}

/** Video codecs a player may ask of POST …/play (`codec`): the camera's own ("auto") or H.264 (a transcode if needed). */
export type PlayCodec = 'auto' | 'h264';

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
