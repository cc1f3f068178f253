/**
 * Every error the protocol library throws is a `Gb28181Error` with a stable
 * `code`. Callers map codes to SIP statuses / HTTP responses once, at their edge.
 * Nothing else (TypeError, RangeError...) may escape a parser: fuzz tests check it.
 */
export class Gb28181Error extends Error {
  override readonly name = 'Gb28181Error';
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isGb28181Error(e: unknown): e is Gb28181Error {
  return e instanceof Gb28181Error;
}

/**
 * Why a stream (an INVITE session and its media) ended or could not start: the protocol half of the gateway's
 * error catalogue. These are facts about the device and its media, so they live with the protocol; the gateway
 * adds its own codes (ports, lookups, validation) and maps all of them to HTTP in one place.
 */
export const STREAM_FAILURE_CODES = [
  /** The device answered the INVITE (or an in-dialog request) with a final status >= 300; `sipStatus` says which. */
  'DEVICE_REFUSED',
  /** No final answer to the INVITE within the answer timeout (the INVITE was CANCELled if a provisional came). */
  'DEVICE_NO_ANSWER',
  /** The 2xx carried an SDP we cannot use: unreadable, no media line, or port 0 where we need the device's port. */
  'DEVICE_BAD_SDP',
  /** TCP active: we could not connect to the address and port the device's SDP gave. */
  'MEDIA_CONNECT_FAILED',
  /** The device accepted, but no RTP packet at all arrived at the offered address within the bound. */
  'MEDIA_NO_RTP',
  /** Packets arrived at the offered address but none carried the negotiated SSRC (or the SSRC is used by another stream). */
  'MEDIA_WRONG_SSRC',
  /** RTP with the right SSRC arrived but no decodable video keyframe within the bound. */
  'MEDIA_NO_KEYFRAME',
] as const;

export type StreamFailureCode = (typeof STREAM_FAILURE_CODES)[number];

/** A stream failure with its code and, for DEVICE_REFUSED, the SIP status the device sent. */
export class StreamFailure extends Gb28181Error {
  constructor(
    override readonly code: StreamFailureCode,
    message: string,
    readonly sipStatus?: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}
