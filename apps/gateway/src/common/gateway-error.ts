import { STREAM_FAILURE_CODES, StreamFailure, type StreamFailureCode } from '@gb/gb28181';

/**
 * The gateway's error catalogue: application errors with a stable code. The protocol half (why a device or its
 * media failed a stream) is `StreamFailureCode` in libs/gb28181; the rest is here. The HTTP edge
 * (api/http-exception.filter.ts) maps codes to statuses with HTTP_STATUS_BY_CODE below; the SIP edge maps them to
 * SIP responses. Nothing in between chooses a status: services throw GatewayError, never Nest HTTP exceptions.
 */
export type GatewayErrorCode =
  | StreamFailureCode
  | 'DEVICE_NOT_FOUND'
  | 'DEVICE_OFFLINE'
  | 'CHANNEL_NOT_FOUND'
  /** A directory item of a catalog (region, business group, virtual organisation, platform, NVR node): nothing to play. */
  | 'CHANNEL_IS_DIRECTORY'
  | 'STREAM_NOT_FOUND'
  | 'ALERT_NOT_FOUND'
  | 'NOT_FOUND'
  | 'PORTS_EXHAUSTED'
  /** An H.264 rendition of an H.265 stream was asked while TRANSCODE_MAX transcodes run (browsers without HEVC). */
  | 'TRANSCODE_LIMIT'
  /** A WebRTC (WHEP) offer while WEBRTC_MAX_PEERS peer connections are open. */
  | 'WEBRTC_LIMIT'
  /** A WHEP offer for a stream WebRTC does not carry here (H.265: browsers have no HEVC over WebRTC). */
  | 'WEBRTC_UNSUPPORTED_CODEC'
  /** The H.265 -> H.264 transcoder (ffmpeg) could not start or died. */
  | 'TRANSCODE_FAILED'
  /** The remuxer (ffmpeg or the in-process HLS muxer) kept dying after its bounded restarts. */
  | 'MEDIA_REMUX_FAILED'
  | 'FEATURE_DISABLED'
  /** A query (MESSAGE) the device did not answer in time. */
  | 'DEVICE_TIMEOUT'
  /** A DeviceControl (AlarmCmd, GuardCmd…) the device accepted (200) but answered with Result ERROR. */
  | 'DEVICE_CONTROL_FAILED'
  /** A DeviceControl the device accepted (200) without sending the Response with its Result in time. */
  | 'DEVICE_CONTROL_NO_RESULT'
  /** No stored device alarm has this ID. */
  | 'ALARM_NOT_FOUND'
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  /** Authenticated, but the role may not use this route (auth/route-access.ts). */
  | 'FORBIDDEN'
  /** A client over its budget (logins); `details.retryAfterS` becomes Retry-After. */
  | 'TOO_MANY_REQUESTS'
  | 'CONFLICT'
  /** The node that owns the device did not answer a forwarded request (dead, partitioned, or over CLUSTER_REQUEST_TIMEOUT_MS). */
  | 'NODE_UNAVAILABLE'
  /** The owner's answer is larger than one NATS message may carry; fetch it from the owner's PUBLIC_URL. */
  | 'NODE_REPLY_TOO_LARGE'
  /** Map plan upload (PUT /api/map/plan): not a PNG/JPEG by its bytes, over MAX_PLAN_BYTES, a content type other than image/png|jpeg. */
  | 'MAP_PLAN_NOT_IMAGE'
  | 'MAP_PLAN_TOO_LARGE'
  | 'MAP_PLAN_UNSUPPORTED_TYPE'
  | 'MAP_PLAN_NOT_FOUND'
  /** Map settings whose two reference points coincide (in pixels or on earth): no transform follows from them. */
  | 'MAP_REFERENCE_DEGENERATE'
  /** More manual map positions than MAX_MAP_POSITIONS. */
  | 'MAP_POSITIONS_FULL'
  /** A voice session (broadcast or talk) was asked for a device that has one already (one per device). */
  | 'VOICE_BUSY'
  /** VOICE_MAX_SESSIONS voice sessions are open on this node. */
  | 'VOICE_LIMIT'
  | 'INTERNAL';

export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The gateway form of a protocol stream failure (same code, message and SIP status). */
  static fromStreamFailure(f: StreamFailure, details?: Record<string, unknown>): GatewayError {
    return new GatewayError(f.code, f.message, { ...details, ...(f.sipStatus !== undefined ? { sipStatus: f.sipStatus } : {}) }, { cause: f });
  }
}

export const HTTP_STATUS_BY_CODE: Record<GatewayErrorCode, number> = {
  DEVICE_REFUSED: 502,
  DEVICE_NO_ANSWER: 504,
  DEVICE_BAD_SDP: 502,
  MEDIA_CONNECT_FAILED: 502,
  MEDIA_NO_RTP: 504,
  MEDIA_WRONG_SSRC: 502,
  MEDIA_NO_KEYFRAME: 504,
  DEVICE_NOT_FOUND: 404,
  CHANNEL_NOT_FOUND: 404,
  CHANNEL_IS_DIRECTORY: 409,
  STREAM_NOT_FOUND: 404,
  ALERT_NOT_FOUND: 404,
  NOT_FOUND: 404,
  DEVICE_OFFLINE: 409,
  CONFLICT: 409,
  PORTS_EXHAUSTED: 503,
  TRANSCODE_LIMIT: 503,
  WEBRTC_LIMIT: 503,
  WEBRTC_UNSUPPORTED_CODEC: 415,
  TRANSCODE_FAILED: 502,
  MEDIA_REMUX_FAILED: 502,
  FEATURE_DISABLED: 501,
  DEVICE_TIMEOUT: 504,
  DEVICE_CONTROL_FAILED: 502,
  DEVICE_CONTROL_NO_RESULT: 504,
  ALARM_NOT_FOUND: 404,
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  TOO_MANY_REQUESTS: 429,
  NODE_UNAVAILABLE: 503,
  NODE_REPLY_TOO_LARGE: 502,
  MAP_PLAN_NOT_IMAGE: 400,
  MAP_PLAN_TOO_LARGE: 413,
  MAP_PLAN_UNSUPPORTED_TYPE: 415,
  MAP_PLAN_NOT_FOUND: 404,
  MAP_REFERENCE_DEGENERATE: 400,
  MAP_POSITIONS_FULL: 409,
  VOICE_BUSY: 409,
  VOICE_LIMIT: 503,
  INTERNAL: 500,
};

/** Every code of the catalogue (for tests and docs). */
export const GATEWAY_ERROR_CODES = Object.keys(HTTP_STATUS_BY_CODE) as GatewayErrorCode[];

export function isStreamFailureCode(code: string): code is StreamFailureCode {
  return (STREAM_FAILURE_CODES as readonly string[]).includes(code);
}
