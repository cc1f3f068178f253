/** GET /api/registration-failures (issue #8 item 7, issue #16 item 3): signalling failures per device ID and source. */

/** What the gateway answered (or that it answered nothing). */
export type SignallingFailureKind =
  /** 401 to a request that carried no valid Authorization: an unanswered or wrongly answered challenge. */
  | 'challenge'
  /** 401 to a correct digest whose nonce was already used (a replayed request, or a device reusing an old nonce). */
  | 'replayed'
  /** 403: a digest from the wrong password, or for another user name. */
  | 'forbidden'
  /** 400: the request or its body could not be read. */
  | 'bad-request'
  /** No answer: the device ID was banned from this source after repeated digest failures. */
  | 'banned'
  /** No answer: the source sent failing requests faster than its rate allows. */
  | 'rate-limited';

export interface RegistrationFailureDto {
  /** The From user of the failing requests; null when none could be read. */
  deviceId: string | null;
  /** host:port of the last failing request (the table is kept per device ID and source host). */
  sourceAddress: string;
  transport: 'udp' | 'tcp';
  /** 401s since the last success from here (challenges never answered correctly), replays included. */
  challenges: number;
  /** Of those, correct digests with an already used nonce. */
  replays: number;
  /** 403s since the entry appeared. */
  forbidden: number;
  /** 400s since the entry appeared. */
  badRequests: number;
  /** Requests dropped unanswered while banned. */
  dropped: number;
  lastKind: SignallingFailureKind;
  /** The SIP status sent last (0: dropped unanswered). */
  lastStatus: number;
  lastReason: string;
  firstAt: string;
  lastAt: string;
  /** Set while this device ID is banned from this source host. */
  bannedUntil: string | null;
}

export interface RegistrationFailureTotals {
  challenge: number;
  replayed: number;
  forbidden: number;
  'bad-request': number;
  banned: number;
  'rate-limited': number;
  /** Bans imposed since start. */
  bans: number;
  /** Warnings written to the log, and those left out by its rate limit. */
  warningsLogged: number;
  warningsSuppressed: number;
}

export interface RegistrationFailuresDto {
  /** Counts since the gateway started (never reset by eviction from the table). */
  totals: RegistrationFailureTotals;
  /** Bans in force now. */
  activeBans: number;
  /** Most entries kept; the least recently updated one makes room for a new one. */
  maxEntries: number;
  /** Newest first. */
  failures: RegistrationFailureDto[];
}
