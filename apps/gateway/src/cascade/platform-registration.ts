import {
  buildAuthorization,
  createRequest,
  encodeKeepalive,
  newBranch,
  newCallId,
  newTag,
  parseExpires,
  type ManscdpCharset,
  type SipRequest,
  type SipResponse,
  type SipScheduler,
} from '@gb/gb28181';
import { randomBytes } from 'node:crypto';

/**
 * One upward registration: this gateway as a lower platform (a UAC) towards one superior platform
 * (GB/T 28181-2016 §9.1 registration, §9.6 keepalive; RFC 3261 §10.2 REGISTER, RFC 2617 digest).
 *
 *   start ──► registering ──REGISTER──► 401 ──REGISTER+Authorization──► 200 ──► online
 *                 ▲                      │ 403 / 2nd 401 / other / timeout        │ refresh at 2/3 of the granted Expires
 *                 │                      ▼                                        │ keepalive MESSAGE every keepaliveS
 *                 └──── back-off ◄──── failed (cause)  ◄── refresh fails ─────────┤
 *                 └──────────────── MAX_MISSED_KEEPALIVES unanswered ◄────────────┘
 *   stop(unregister) ──► REGISTER Expires: 0 (when the superior may hold a registration) ──► stopped
 *
 * The clock, the timers and the wire are injected (RegistrationIo), so a spec drives it on a virtual clock.
 */

/** First retry delay after a failure; doubles per failure up to BACKOFF_MAX_MS; reset by a 200. */
export const BACKOFF_MIN_MS = 5_000;
export const BACKOFF_MAX_MS = 5 * 60_000;
/** Keepalives sent and not answered (2xx) before we register again (§9.6: offline after 3 missed). */
export const MAX_MISSED_KEEPALIVES = 3;
/** Refresh when this fraction of the granted Expires has passed. */
export const REFRESH_FRACTION = 2 / 3;
/** Never refresh sooner than this after a 200, whatever Expires the superior grants. */
export const MIN_REFRESH_DELAY_MS = 1_000;
/** Largest Expires we take from the superior's 200 (a peer-controlled time): a day. */
export const MAX_GRANTED_EXPIRES_S = 86_400;
/** Challenges answered in one attempt: the first 401, and one more only when it says stale=true (RFC 2617 §3.2.1). */
export const MAX_AUTH_ROUNDS = 2;
/** How long stop() waits for the answer to REGISTER Expires: 0 (disable, delete, shutdown must not hang on Timer F). */
export const UNREGISTER_TIMEOUT_MS = 2_000;
/** Longest cause kept (it quotes the superior's reason phrase). */
export const MAX_CAUSE_CHARS = 200;

export type RegistrationState = 'registering' | 'online' | 'failed' | 'disabled';

/** Stable codes at the start of `cause`. */
export type RegistrationFailureCode =
  /** 403 to our REGISTER: wrong password, unknown local ID, or not allowed (GB/T 28181-2016 §9.1.2.1). */
  | 'PLATFORM_FORBIDDEN'
  /** A second 401 after we answered the challenge: the superior did not accept our digest. */
  | 'PLATFORM_AUTH_REJECTED'
  /** A 401 whose WWW-Authenticate we cannot answer (missing, not MD5, malformed). */
  | 'PLATFORM_BAD_CHALLENGE'
  /** Another final answer (4xx-6xx), or a 200 granting Expires 0. */
  | 'PLATFORM_REJECTED'
  /** No final answer within Timer F (RFC 3261 §17.1.2.2). */
  | 'PLATFORM_TIMEOUT'
  /** The request could not be sent (DNS, socket). */
  | 'PLATFORM_SEND_FAILED'
  /** MAX_MISSED_KEEPALIVES keepalives unanswered: registering again. */
  | 'PLATFORM_KEEPALIVE_LOST';

/** What one registration needs of the superior's settings. */
export interface RegistrationTarget {
  serverId: string;
  domain: string;
  /** Our ID towards this superior (From/To user, digest username, keepalive DeviceID). */
  localId: string;
  password: string;
  expiresS: number;
  keepaliveS: number;
  charset: ManscdpCharset;
}

export interface RegistrationIo {
  /** Sends a request in a client transaction to the superior; the final response, or a rejection (timeout: `code` SIP_REQUEST_TIMEOUT). */
  request(req: SipRequest): Promise<SipResponse>;
  /** Our transport, address and SIP port as the superior sees them (Via sent-by, Contact). */
  local(): { transport: 'udp' | 'tcp'; host: string; port: number };
  scheduler: SipScheduler;
  now(): number;
}

export interface RegistrationStatus {
  state: RegistrationState;
  /** `<RegistrationFailureCode>: <detail>` of the last failure; null after a 200. */
  cause: string | null;
  /** When the state last changed (ms). */
  since: number;
  /** When the superior last answered a keepalive with 2xx (ms). */
  lastKeepaliveAt: number | null;
  /** When the registration the superior granted runs out (ms); null when not registered. */
  registeredUntil: number | null;
  /** When the next REGISTER after a failure goes out (ms). */
  nextAttemptAt: number | null;
}

export type StatusListener = (s: RegistrationStatus, change: 'state' | 'keepalive') => void;

type Timer = 'retry' | 'refresh' | 'keepalive';

export class PlatformRegistration {
  private statusValue: RegistrationStatus;
  private readonly timers = new Map<Timer, unknown>();
  /** Increments on every attempt and on stop: answers of an older attempt are ignored. */
  private epoch = 0;
  private stopped = false;
  private started = false;
  private backoffMs = BACKOFF_MIN_MS;
  private unansweredKeepalives = 0;
  private keepaliveSn = 0;
  // RFC 3261 §10.2: one Call-ID and From tag for every REGISTER of this binding, CSeq increasing.
  private readonly callId: string;
  private readonly fromTag = newTag();
  private cseq = 0;
  private challenge: string | undefined;
  private nc = 0;
  private readonly cnonce = randomBytes(8).toString('hex');
  /**
   * The superior may hold a registration of ours: from the first REGISTER of an attempt (its 200 may still come)
   * until a final refusal. stop(true) unregisters only then.
   */
  private registered = false;
  onStatus: StatusListener = () => undefined;

  constructor(
    readonly target: RegistrationTarget,
    private readonly io: RegistrationIo,
  ) {
    this.callId = newCallId(io.local().host);
    this.statusValue = { state: 'registering', cause: null, since: io.now(), lastKeepaliveAt: null, registeredUntil: null, nextAttemptAt: null };
  }

  get status(): RegistrationStatus {
    return { ...this.statusValue };
  }

  /** Sends the first REGISTER. Idempotent. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    void this.attempt();
  }

  /**
   * Ends this registration: timers cleared, answers in flight ignored, and when `unregister` and the superior holds
   * a registration of ours, REGISTER Expires: 0 (waiting at most UNREGISTER_TIMEOUT_MS). Idempotent.
   */
  async stop(unregister: boolean): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.epoch++;
    for (const t of [...this.timers.keys()]) this.clear(t);
    const wasRegistered = this.registered;
    this.registered = false;
    this.setState('disabled', this.statusValue.cause, { registeredUntil: null, nextAttemptAt: null });
    if (!unregister || !wasRegistered) return;
    let timer: unknown;
    const gaveUp = new Promise<void>((resolve) => (timer = this.io.scheduler.setTimer(UNREGISTER_TIMEOUT_MS, resolve)));
    const unregistered = (async () => {
      let res = await this.sendRegister(0);
      if ((res.status === 401 || res.status === 407) && this.useChallenge(res)) res = await this.sendRegister(0);
    })().catch(() => undefined);
    await Promise.race([unregistered, gaveUp]);
    this.io.scheduler.clearTimer(timer);
  }

  private async attempt(): Promise<void> {
    const epoch = ++this.epoch;
    this.clear('retry');
    this.clear('refresh');
    const current = () => epoch === this.epoch && !this.stopped;
    this.registered = true;
    let res: SipResponse;
    try {
      res = await this.sendRegister(this.target.expiresS);
      // The first 401 of an attempt is normal (also after a pre-emptive Authorization with an old nonce); a 401 to
      // the answer of a fresh challenge means the superior refused our digest, unless it says the nonce was stale.
      for (let rounds = 0; current() && (res.status === 401 || res.status === 407); rounds++) {
        const header = res.headers.get(res.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate');
        const stale = header !== undefined && /stale\s*=\s*"?true/i.test(header);
        if (rounds >= MAX_AUTH_ROUNDS || (rounds > 0 && !stale)) return this.fail('PLATFORM_AUTH_REJECTED', `${describe(res)} to our digest answer (check the password and local ID)`);
        if (!this.useChallenge(res)) return this.fail('PLATFORM_BAD_CHALLENGE', `${describe(res)} without a usable MD5 digest challenge`);
        res = await this.sendRegister(this.target.expiresS);
      }
    } catch (e) {
      if (!current()) return;
      const code = (e as { code?: string }).code;
      if (code === 'SIP_REQUEST_TIMEOUT' || code === 'SIP_TX_TIMEOUT') return this.fail('PLATFORM_TIMEOUT', 'no answer to REGISTER');
      return this.fail('PLATFORM_SEND_FAILED', (e as Error).message ?? String(e));
    }
    if (!current()) return;
    if (res.status === 403) return this.fail('PLATFORM_FORBIDDEN', describe(res));
    if (res.status < 200 || res.status >= 300) return this.fail('PLATFORM_REJECTED', describe(res));
    const granted = grantedExpires(res, this.target.expiresS);
    if (granted <= 0) return this.fail('PLATFORM_REJECTED', `${describe(res)} granting Expires 0`);
    this.online(granted);
  }

  private online(grantedS: number): void {
    const now = this.io.now();
    this.registered = true;
    this.backoffMs = BACKOFF_MIN_MS;
    this.setState('online', null, { registeredUntil: now + grantedS * 1000, nextAttemptAt: null });
    this.set('refresh', Math.max(MIN_REFRESH_DELAY_MS, Math.floor(grantedS * 1000 * REFRESH_FRACTION)), () => void this.attempt());
    this.unansweredKeepalives = 0;
    this.scheduleKeepalive();
  }

  private fail(code: RegistrationFailureCode, detail: string): void {
    this.registered = false;
    this.clear('keepalive');
    this.clear('refresh');
    const delay = this.backoffMs;
    this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs * 2);
    this.setState('failed', cause(code, detail), { registeredUntil: null, nextAttemptAt: this.io.now() + delay });
    this.set('retry', delay, () => void this.attempt());
  }

  private scheduleKeepalive(): void {
    this.set('keepalive', this.target.keepaliveS * 1000, () => this.keepaliveDue());
  }

  /** §9.6: a keepalive every keepaliveS; MAX_MISSED_KEEPALIVES unanswered in a row and we register again. */
  private keepaliveDue(): void {
    if (this.stopped) return;
    if (this.unansweredKeepalives >= MAX_MISSED_KEEPALIVES) {
      this.setState('registering', cause('PLATFORM_KEEPALIVE_LOST', `${this.unansweredKeepalives} keepalives unanswered`), { registeredUntil: null });
      void this.attempt();
      return;
    }
    this.scheduleKeepalive();
    this.unansweredKeepalives++;
    const epoch = this.epoch;
    this.io.request(this.keepaliveRequest()).then(
      (res) => {
        if (epoch !== this.epoch || this.stopped || res.status < 200 || res.status >= 300) return;
        this.unansweredKeepalives = 0;
        this.statusValue = { ...this.statusValue, lastKeepaliveAt: this.io.now() };
        this.emit('keepalive');
      },
      () => undefined,
    );
  }

  private keepaliveRequest(): SipRequest {
    const t = this.target;
    this.keepaliveSn = this.keepaliveSn >= 2 ** 31 - 1 ? 1 : this.keepaliveSn + 1;
    const local = this.io.local();
    return createRequest({
      method: 'MESSAGE',
      uri: `sip:${t.serverId}@${t.domain}`,
      via: { transport: local.transport.toUpperCase(), host: local.host, port: local.port, branch: newBranch(), rport: true },
      from: { uri: `sip:${t.localId}@${t.domain}`, tag: newTag() },
      to: { uri: `sip:${t.serverId}@${t.domain}` },
      callId: newCallId(local.host),
      cseq: 1,
      maxForwards: 70,
      body: encodeKeepalive(this.keepaliveSn, t.localId, t.charset),
      contentType: 'Application/MANSCDP+xml',
    });
  }

  /** One REGISTER; answers the last challenge pre-emptively (nc incremented) so that refreshes need no 401 round. */
  private sendRegister(expiresS: number): Promise<SipResponse> {
    const t = this.target;
    const local = this.io.local();
    // GB/T 28181-2016 §9.1.2.1 / Annex J.1: Request-URI and digest uri name the superior by ID and domain.
    const uri = `sip:${t.serverId}@${t.domain}`;
    const headers: [string, string][] = [];
    if (this.challenge) {
      this.nc = this.nc >= 0xffffffff ? 1 : this.nc + 1;
      headers.push(['Authorization', buildAuthorization({ challenge: this.challenge, method: 'REGISTER', uri, username: t.localId, password: t.password, cnonce: this.cnonce, nc: this.nc })]);
    }
    headers.push(['Expires', String(expiresS)]);
    this.cseq = this.cseq >= 2 ** 31 - 1 ? 1 : this.cseq + 1;
    const req = createRequest({
      method: 'REGISTER',
      uri,
      via: { transport: local.transport.toUpperCase(), host: local.host, port: local.port, branch: newBranch(), rport: true },
      from: { uri: `sip:${t.localId}@${t.domain}`, tag: this.fromTag },
      to: { uri: `sip:${t.localId}@${t.domain}` },
      callId: this.callId,
      cseq: this.cseq,
      contact: `<sip:${t.localId}@${hostPort(local.host, local.port)}>`,
      maxForwards: 70,
      headers,
    });
    return this.io.request(req);
  }

  /** Keeps the challenge of a 401/407 when we can answer it (MD5, realm and nonce present). */
  private useChallenge(res: SipResponse): boolean {
    const header = res.headers.get(res.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate');
    if (!header) return false;
    try {
      // Throws for a malformed header or another algorithm; computes nothing we keep.
      buildAuthorization({ challenge: header, method: 'REGISTER', uri: 'sip:x', username: 'x', password: 'x', cnonce: this.cnonce, nc: 1 });
    } catch {
      return false;
    }
    if (header !== this.challenge) this.nc = 0;
    this.challenge = header;
    return true;
  }

  private setState(state: RegistrationState, c: string | null, extra: Partial<RegistrationStatus> = {}): void {
    const changed = state !== this.statusValue.state || c !== this.statusValue.cause;
    this.statusValue = { ...this.statusValue, ...extra, state, cause: c, since: changed ? this.io.now() : this.statusValue.since };
    if (changed) this.emit('state');
  }

  private emit(change: 'state' | 'keepalive'): void {
    try {
      this.onStatus(this.status, change);
    } catch {
      /* a throwing listener cannot break the registration */
    }
  }

  private set(name: Timer, ms: number, fn: () => void): void {
    this.clear(name);
    this.timers.set(
      name,
      this.io.scheduler.setTimer(ms, () => {
        this.timers.delete(name);
        if (!this.stopped) fn();
      }),
    );
  }

  private clear(name: Timer): void {
    const h = this.timers.get(name);
    if (h === undefined) return;
    this.io.scheduler.clearTimer(h);
    this.timers.delete(name);
  }
}

/** The Expires the superior granted: its Expires header (or our Contact's expires param), bounded; else what we asked. */
export function grantedExpires(res: SipResponse, askedS: number): number {
  const candidates = [res.headers.get('Expires'), /;\s*expires\s*=\s*(\d{1,10})/i.exec(res.headers.get('Contact') ?? '')?.[1]];
  for (const v of candidates) {
    if (v === undefined) continue;
    try {
      return Math.min(parseExpires(v), MAX_GRANTED_EXPIRES_S);
    } catch {
      /* unreadable: try the next, else keep the asked value */
    }
  }
  return Math.min(askedS, MAX_GRANTED_EXPIRES_S);
}

function describe(res: SipResponse): string {
  return `${res.status} ${res.reason}`;
}

/** `<code>: <detail>`, control characters of peer text removed, at most MAX_CAUSE_CHARS. */
function cause(code: RegistrationFailureCode, detail: string): string {
  // eslint-disable-next-line no-control-regex
  return `${code}: ${detail.replace(/[\u0000-\u001f\u007f]/g, ' ')}`.slice(0, MAX_CAUSE_CHARS);
}

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
