import type { SipRequest } from '@gb/gb28181';

/**
 * The seam where media plugs in: a device given an `onInvite` hook answers INVITE (GB/T 28181-2016 §9.2)
 * with what the hook returns; without one it answers 501. DeviceMediaSimulator is the implementation.
 */
export interface InviteContext {
  req: SipRequest;
  /** The simulated device's ID. */
  deviceId: string;
  /** Request-URI user: the channel asked for. */
  channelId: string;
  /** The platform's SDP offer (UTF-8). */
  offer: string;
  /** The device's local SIP address (for the SDP `o=`/`c=` lines). */
  localHost: string;
  /** Sends an out-of-dialog MESSAGE (MANSCDP body) to the platform; resolves with the final status. */
  sendMessage?: (body: Buffer) => Promise<number>;
  /** The device's next MANSCDP SN. */
  nextSn?: () => number;
}

export interface InviteAnswer {
  status: number;
  reason?: string;
  /** SDP answer body (sent as application/sdp with a 2xx). */
  sdp?: string;
  /** Called when the ACK for a 2xx arrives: start sending media. */
  onAck?: () => void;
  /** Called on BYE (or when the device stops): stop sending media. Must be idempotent. */
  onBye?: () => void;
  /** In-dialog INFO (MANSRTSP playback control, Annex B): returns the SIP status to answer. */
  onInfo?: (body: string, contentType: string | undefined) => number;
}

export type InviteHook = (ctx: InviteContext) => Promise<InviteAnswer> | InviteAnswer;
