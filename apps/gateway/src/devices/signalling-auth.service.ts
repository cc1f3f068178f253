import { Inject, Injectable, Logger } from '@nestjs/common';
import { createDigestChallenge, parseDigestParams, verifyDigest, type SipRequest } from '@gb/gb28181';
import type { RegistrationFailuresDto } from '@gb/contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { NonceIssuer } from '../sip/nonce';
import type { IncomingRequest } from '../sip/sip-endpoint';
import type { SipFlow } from '../sip/sip-flow';
import { SignallingGuard, type Admission, type FailureEvent } from './signalling-guard';

/** Why a request was not authenticated, and what to answer. */
export type AuthOutcome =
  | { ok: true }
  | { ok: false; status: 401; stale: boolean; reason: string; failure: 'first' | 'challenge' | 'replayed' }
  | { ok: false; status: 403; reason: string }
  | { ok: false; status: 400; reason: string };

type Respond = IncomingRequest['respond'];

/**
 * Digest authentication of device requests (REGISTER, and MESSAGE from a new address) and the signalling guard
 * around it: nonces good once (replay refused, issue #16 item 1), bans and per-source rates (issue #16 item 3),
 * the failure table of GET /api/registration-failures and its rate-limited warnings (issue #8 item 7).
 */
@Injectable()
export class SignallingAuthService {
  private readonly log = new Logger('registrar');
  private readonly nonces = new NonceIssuer();
  readonly guard: SignallingGuard;

  constructor(@Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig) {
    this.guard = new SignallingGuard({
      banAfterFailures: cfg.SIP_AUTH_BAN_FAILURES,
      banMs: cfg.SIP_AUTH_BAN_S * 1000,
      sourceFailuresPerS: cfg.SIP_SOURCE_FAILURE_RATE,
      sourceFailureBurst: cfg.SIP_SOURCE_FAILURE_BURST,
    });
  }

  /** The password a device must prove: its own, else the global one; empty = no authentication. */
  passwordFor(device: { password: string | null } | undefined): string {
    return device?.password ?? this.cfg.SIP_PASSWORD;
  }

  /** Before any work: banned pairs and sources over their rate get no answer at all (no amplification, no CPU). */
  admit(flow: SipFlow, deviceId: string | null, now: number): Admission {
    return this.guard.admit(flow.remoteHost, deviceId, now);
  }

  /**
   * Checks the request's Authorization for `method` against `password`. `sameFlow`: the request comes from where the
   * device is registered now, so an already used nonce is the device itself reusing it (answered 401 stale=true,
   * not counted), not somebody replaying a captured request.
   */
  authenticate(req: SipRequest, deviceId: string, password: string, now: number, sameFlow: boolean): AuthOutcome {
    const auth = req.headers.get('authorization');
    if (!auth) return { ok: false, status: 401, stale: false, reason: 'no Authorization', failure: 'first' };
    let params: Record<string, string>;
    try {
      params = parseDigestParams(auth);
    } catch (e) {
      return { ok: false, status: 400, reason: `Bad Authorization (${(e as { code?: string }).code ?? 'unreadable'})` };
    }
    const nonce = params['nonce'] ?? '';
    const state = this.nonces.check(nonce, now);
    if (state === 'invalid') return { ok: false, status: 401, stale: false, reason: 'nonce not issued by this gateway', failure: 'challenge' };
    if (state === 'stale') return { ok: false, status: 401, stale: true, reason: 'nonce expired', failure: 'first' };
    if (params['username'] !== deviceId) return { ok: false, status: 403, reason: `digest user ${JSON.stringify((params['username'] ?? '').slice(0, 40))} is not the From user` };
    if (!verifyDigest({ params, method: req.method, password })) return { ok: false, status: 403, reason: 'wrong password' };
    const nc = params['qop'] ? parseInt(params['nc'] ?? '', 16) : undefined;
    if (this.nonces.use(nonce, nc, now) === 'replayed') {
      return sameFlow
        ? { ok: false, status: 401, stale: true, reason: 'nonce already used', failure: 'first' }
        : { ok: false, status: 401, stale: true, reason: 'replayed Authorization (nonce already used) from another address', failure: 'replayed' };
    }
    return { ok: true };
  }

  /** Answers a refused request (statelessly where the transaction layer offers it) and records the failure. */
  refuse(r: IncomingRequest, deviceId: string | null, outcome: Exclude<AuthOutcome, { ok: true }>, now: number): void {
    const reject = statelessResponder(r);
    const where: FailureEvent['flow'] = r.flow;
    if (outcome.status === 401) {
      const challenge = createDigestChallenge({
        realm: this.cfg.SIP_DOMAIN,
        nonce: this.nonces.issue(now),
        algorithm: 'MD5',
        stale: outcome.stale,
        ...(this.cfg.SIP_DIGEST_QOP ? { qop: 'auth' as const } : {}),
      });
      reject(401, 'Unauthorized', { headers: [['WWW-Authenticate', challenge]] });
      const ev = { deviceId, flow: where, reason: outcome.reason };
      const w = outcome.failure === 'first' ? this.guard.challenged(ev, now).warning : this.guard.record({ ...ev, kind: outcome.failure, status: 401 }, now).warning;
      if (w) this.log.warn(w.text);
      return;
    }
    reject(outcome.status, outcome.status === 403 ? 'Forbidden' : outcome.reason);
    this.badRequestOrForbidden(deviceId, where, outcome.status, outcome.reason, now);
  }

  /** Records a 400 or 403 answered elsewhere (a MESSAGE body that cannot be read). */
  badRequestOrForbidden(deviceId: string | null, flow: FailureEvent['flow'], status: 400 | 403, reason: string, now: number): void {
    const { warning } = this.guard.record({ deviceId, flow, kind: status === 403 ? 'forbidden' : 'bad-request', status, reason }, now);
    if (warning) this.log.warn(warning.text);
  }

  succeeded(deviceId: string, flow: SipFlow): void {
    this.guard.succeeded(deviceId, flow.remoteHost);
  }

  view(now: number): RegistrationFailuresDto {
    return { totals: { ...this.guard.totals }, activeBans: this.guard.activeBans(now), maxEntries: this.guard.maxEntryCount, failures: this.guard.list(now) };
  }
}

/**
 * 4xx answers without a 32 s server transaction (`respondStateless`, always set by SipEndpoint: a flood must not fill
 * the transaction table); the plain `respond` for hand-made requests in specs.
 */
export function statelessResponder(r: IncomingRequest): Respond {
  return r.respondStateless ?? r.respond;
}
