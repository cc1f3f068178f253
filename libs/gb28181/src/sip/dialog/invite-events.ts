/**
 * What the INVITE client usage and the abandoned-INVITE registry report (diagnostics_channel style: the library
 * never logs; the app decides what to log). A throwing listener cannot break the usage.
 */
export type InviteUsageEventType =
  /** A 1xx to the INVITE. */
  | 'provisional'
  /** We gave up before any provisional: the CANCEL waits for one (RFC 3261 §9.1). */
  | 'cancel-deferred'
  | 'cancel-sent'
  /** The final response to the CANCEL itself (200, or 481 when the INVITE was already answered). */
  | 'cancel-answered'
  /** No final response to the INVITE within 64*T1 of the CANCEL: its client transaction was destroyed (§9.1). */
  | 'cancel-expired'
  /** The INVITE's non-2xx final response after we gave up (487 Request Terminated when the CANCEL worked). */
  | 'abandoned-final'
  /** A retransmitted 2xx of the established dialog: its ACK was sent again (§13.2.2.4). */
  | 'ack-resent'
  /** A 2xx after we gave up (late, racing the CANCEL, after the transaction ended, or a second fork): ACK + BYE. */
  | 'late-2xx-ack-bye'
  /** A retransmission of such a 2xx: ACKed again, no second BYE. */
  | 'late-2xx-ack-resent'
  | 'bye-answered'
  | 'bye-timeout'
  /** Something could not be built or sent (`detail` says what); the usage carries on. */
  | 'error';

export interface InviteUsageEvent {
  type: InviteUsageEventType;
  callId: string;
  status?: number;
  remoteTag?: string;
  detail?: string;
}

export type InviteUsageListener = (e: InviteUsageEvent) => void;

/** Calls a listener; its exception is its own (style habit 9). */
export function emitInviteEvent(listener: InviteUsageListener | undefined, e: InviteUsageEvent): void {
  if (!listener) return;
  try {
    listener(e);
  } catch {
    /* a listener's failure must not break the usage */
  }
}
