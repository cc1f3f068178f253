import { createDigestChallenge, createResponse, parseDigestParams, verifyDigest, type SipRequest, type SipResponse } from '@gb/gb28181';
import { describe, expect, it } from 'vitest';
import { FakeScheduler } from '../../../../libs/gb28181/src/sip/testing/fake-scheduler';
import {
  BACKOFF_MAX_MS,
  BACKOFF_MIN_MS,
  MAX_CAUSE_CHARS,
  MAX_GRANTED_EXPIRES_S,
  MAX_MISSED_KEEPALIVES,
  PlatformRegistration,
  UNREGISTER_TIMEOUT_MS,
  type RegistrationStatus,
  type RegistrationTarget,
} from './platform-registration';

/** The shared virtual clock, settling promise turns between timers (the registration awaits its sends). */
class VirtualClock extends FakeScheduler {
  advance(ms: number): Promise<void> {
    return this.advanceBySettled(ms, flush);
  }
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

const TARGET: RegistrationTarget = {
  serverId: '34020000002000000002',
  domain: '3402000000',
  localId: '34020000002000000001',
  password: 'cascade-pass',
  expiresS: 60,
  keepaliveS: 10,
  charset: 'GB2312',
};

type Answer = (req: SipRequest) => SipResponse | 'timeout' | 'hang';

/** A superior scripted per request: `answer` decides; every request is kept. */
function setup(answer: Answer, target: RegistrationTarget = TARGET) {
  const clock = new VirtualClock();
  const sent: SipRequest[] = [];
  const statuses: RegistrationStatus[] = [];
  const reg = new PlatformRegistration(target, {
    request: (req) => {
      sent.push(req);
      const a = answer(req);
      if (a === 'hang') return new Promise(() => undefined);
      if (a === 'timeout') return Promise.reject(Object.assign(new Error('timed out'), { code: 'SIP_REQUEST_TIMEOUT' }));
      return Promise.resolve(a);
    },
    local: () => ({ transport: 'udp', host: '127.0.0.1', port: 5060 }),
    scheduler: clock,
    now: () => clock.now,
  });
  reg.onStatus = (s, change) => {
    if (change === 'state') statuses.push(s);
  };
  const registers = () => sent.filter((r) => r.method === 'REGISTER');
  const keepalives = () => sent.filter((r) => r.method === 'MESSAGE');
  return { clock, sent, statuses, reg, registers, keepalives };
}

const NONCE = '9bd055b0a7e5b2a7';
const challenge = (req: SipRequest, extra: { stale?: boolean; nonce?: string } = {}) =>
  createResponse(req, 401, 'Unauthorized', { headers: [['WWW-Authenticate', createDigestChallenge({ realm: '3402000000', nonce: extra.nonce ?? NONCE, stale: extra.stale })]] });
const ok = (req: SipRequest, expires = '60') => createResponse(req, 200, 'OK', { headers: [['Expires', expires]] });

/** The superior of GB/T 28181 Annex J.1: 401 without Authorization, 200 for the right digest, 403 otherwise. */
function superior(password = TARGET.password, expires = '60'): Answer {
  return (req) => {
    if (req.method !== 'REGISTER') return createResponse(req, 200, 'OK');
    const auth = req.headers.get('Authorization');
    if (!auth) return challenge(req);
    return verifyDigest({ params: parseDigestParams(auth), method: 'REGISTER', password }) ? ok(req, req.headers.get('Expires') === '0' ? '0' : expires) : createResponse(req, 403, 'Forbidden');
  };
}

describe('PlatformRegistration', () => {
  it('start() with a 401 then 200 answers the challenge with the digest of GB/T 28181 Annex J.1 and goes online', async () => {
    const t = setup(superior());
    t.reg.start();
    await t.clock.advance(0);
    const [first, second] = t.registers();
    expect(first!.uri).toBe('sip:34020000002000000002@3402000000');
    expect(first!.headers.get('From')).toContain('sip:34020000002000000001@3402000000');
    expect(first!.headers.get('To')).toContain('sip:34020000002000000001@3402000000');
    expect(first!.headers.get('Contact')).toBe('<sip:34020000002000000001@127.0.0.1:5060>');
    expect(first!.headers.get('Expires')).toBe('60');
    expect(first!.headers.get('Authorization')).toBeUndefined();
    const p = parseDigestParams(second!.headers.get('Authorization')!);
    expect(p).toMatchObject({ username: TARGET.localId, realm: '3402000000', nonce: NONCE, uri: 'sip:34020000002000000002@3402000000' });
    expect(second!.headers.get('Call-ID')).toBe(first!.headers.get('Call-ID'));
    expect(Number.parseInt(second!.headers.get('CSeq')!)).toBe(Number.parseInt(first!.headers.get('CSeq')!) + 1);
    expect(t.reg.status).toMatchObject({ state: 'online', cause: null, registeredUntil: 60_000 });
  });

  it('online: re-registers at 2/3 of the granted Expires (pre-emptive digest, no 401 round) and sends keepalives every keepaliveS', async () => {
    const t = setup(superior(TARGET.password, '30'));
    t.reg.start();
    await t.clock.advance(0);
    expect(t.registers()).toHaveLength(2);
    await t.clock.advance(19_999);
    expect(t.registers()).toHaveLength(2);
    expect(t.keepalives()).toHaveLength(1);
    await t.clock.advance(1);
    expect(t.registers()).toHaveLength(3);
    expect(parseDigestParams(t.registers()[2]!.headers.get('Authorization')!).nonce).toBe(NONCE);
    const ka = t.keepalives()[0]!;
    expect(ka.headers.get('Content-Type')).toBe('Application/MANSCDP+xml');
    expect(ka.body.toString('latin1')).toMatch(/<Notify>[\s\S]*<CmdType>Keepalive<\/CmdType>[\s\S]*<DeviceID>34020000002000000001<\/DeviceID>[\s\S]*<Status>OK<\/Status>/);
    expect(t.reg.status.lastKeepaliveAt).toBe(10_000);
    expect(t.reg.status.state).toBe('online');
  });

  it('a wrong password: the superior answers 403, state failed with PLATFORM_FORBIDDEN and its reason', async () => {
    const t = setup(superior('other-password'));
    t.reg.start();
    await t.clock.advance(0);
    expect(t.reg.status).toMatchObject({ state: 'failed', cause: 'PLATFORM_FORBIDDEN: 403 Forbidden', nextAttemptAt: BACKOFF_MIN_MS });
  });

  it('a second 401 to our digest answer fails with PLATFORM_AUTH_REJECTED; a stale=true 401 is answered once more', async () => {
    const t = setup((req) => challenge(req));
    t.reg.start();
    await t.clock.advance(0);
    expect(t.registers()).toHaveLength(2);
    expect(t.reg.status.cause).toMatch(/^PLATFORM_AUTH_REJECTED: 401 Unauthorized/);

    let n = 0;
    const s = setup((req) => (++n === 1 ? challenge(req) : n === 2 ? challenge(req, { stale: true, nonce: 'fresh' }) : ok(req)));
    s.reg.start();
    await s.clock.advance(0);
    expect(s.registers()).toHaveLength(3);
    expect(parseDigestParams(s.registers()[2]!.headers.get('Authorization')!).nonce).toBe('fresh');
    expect(s.reg.status.state).toBe('online');
  });

  it('a 401 without a usable challenge (no header, SHA-256) fails with PLATFORM_BAD_CHALLENGE', async () => {
    for (const header of [undefined, 'Digest realm="x", nonce="y", algorithm=SHA-256', 'Basic realm="x"']) {
      const t = setup((req) => createResponse(req, 401, 'Unauthorized', { headers: header ? [['WWW-Authenticate', header]] : [] }));
      t.reg.start();
      await t.clock.advance(0);
      expect(t.reg.status.cause).toMatch(/^PLATFORM_BAD_CHALLENGE: /);
    }
  });

  it('timeouts back off 5 s, 10 s, 20 s … up to 5 min, and a 200 resets the back-off', async () => {
    let down = true;
    const t = setup((req) => (down ? 'timeout' : superior()(req)));
    t.reg.start();
    await t.clock.advance(0);
    expect(t.reg.status.cause).toBe('PLATFORM_TIMEOUT: no answer to REGISTER');
    const times: number[] = [];
    let at = 0;
    for (let i = 0; i < 9; i++) {
      const next = t.reg.status.nextAttemptAt!;
      times.push(next - at);
      at = next;
      await t.clock.advance(next - t.clock.now);
    }
    expect(times).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 160_000, BACKOFF_MAX_MS, BACKOFF_MAX_MS, BACKOFF_MAX_MS]);
    down = false;
    await t.clock.advance(t.reg.status.nextAttemptAt! - t.clock.now);
    expect(t.reg.status.state).toBe('online');
    down = true;
    await t.clock.advance(40_000); // the refresh at 2/3 of 60 s times out
    expect(t.reg.status).toMatchObject({ state: 'failed', nextAttemptAt: t.clock.now + BACKOFF_MIN_MS });
  });

  it(`${MAX_MISSED_KEEPALIVES} keepalives unanswered: registering again with PLATFORM_KEEPALIVE_LOST, keepalives stop meanwhile`, async () => {
    let answerKeepalives = false;
    const t = setup((req) => (req.method === 'MESSAGE' && !answerKeepalives ? 'hang' : superior(TARGET.password, '3600')(req)));
    t.reg.start();
    await t.clock.advance(0);
    await t.clock.advance(30_000);
    expect(t.keepalives()).toHaveLength(MAX_MISSED_KEEPALIVES);
    expect(t.registers()).toHaveLength(2);
    answerKeepalives = true;
    await t.clock.advance(10_000);
    expect(t.statuses.map((s) => s.state)).toEqual(['online', 'registering', 'online']);
    expect(t.statuses[1]!.cause).toBe(`PLATFORM_KEEPALIVE_LOST: ${MAX_MISSED_KEEPALIVES} keepalives unanswered`);
    expect(t.registers()).toHaveLength(3);
    await t.clock.advance(10_000);
    expect(t.reg.status.lastKeepaliveAt).toBe(t.clock.now);
  });

  it('stop(true) when online sends REGISTER Expires: 0 with our digest, clears every timer and ignores answers in flight', async () => {
    const t = setup(superior());
    t.reg.start();
    await t.clock.advance(0);
    await t.reg.stop(true);
    const last = t.registers().at(-1)!;
    expect(last.headers.get('Expires')).toBe('0');
    expect(last.headers.get('Authorization')).toBeDefined();
    expect(t.reg.status.state).toBe('disabled');
    expect(t.clock.pending).toBe(0);
    await t.reg.stop(true); // idempotent
    expect(t.registers()).toHaveLength(3);
  });

  it('stop(true) waits at most UNREGISTER_TIMEOUT_MS for a superior that never answers; stop() when not registered sends nothing', async () => {
    let hang = false;
    const t = setup((req) => (hang ? 'hang' : superior()(req)));
    t.reg.start();
    await t.clock.advance(0);
    hang = true;
    let done = false;
    void t.reg.stop(true).then(() => (done = true));
    await t.clock.advance(UNREGISTER_TIMEOUT_MS - 1);
    expect(done).toBe(false);
    await t.clock.advance(1);
    expect(done).toBe(true);

    const f = setup(superior('wrong'));
    f.reg.start();
    await f.clock.advance(0);
    await f.reg.stop(true);
    expect(f.registers()).toHaveLength(2);
  });

  it('stop(true) while the first REGISTER is unanswered still unregisters (its 200 may come after we gave up)', async () => {
    const t = setup((req) => (req.headers.get('Authorization') ? 'hang' : challenge(req)));
    t.reg.start();
    await t.clock.advance(0);
    const stopped = t.reg.stop(true);
    await t.clock.advance(UNREGISTER_TIMEOUT_MS);
    await stopped;
    expect(t.registers().map((r) => r.headers.get('Expires'))).toEqual(['60', '60', '0']);
  });

  it('hostile answers: a huge Expires is bounded, Expires 0 in a 200 fails, control characters and long reasons are cut from the cause', async () => {
    const big = setup(superior(TARGET.password, '99999999999'));
    big.reg.start();
    await big.clock.advance(0);
    expect(big.reg.status.registeredUntil).toBe(60_000); // unreadable (over the parser's bound): what we asked
    const large = setup(superior(TARGET.password, '999999'));
    large.reg.start();
    await large.clock.advance(0);
    expect(large.reg.status.registeredUntil).toBe(MAX_GRANTED_EXPIRES_S * 1000);

    const zero = setup((req) => ok(req, '0'));
    zero.reg.start();
    await zero.clock.advance(0);
    expect(zero.reg.status.cause).toMatch(/^PLATFORM_REJECTED: 200 OK granting Expires 0/);

    const rude = setup((req) => createResponse(req, 486, `Busy\u0007${'x'.repeat(500)}`));
    rude.reg.start();
    await rude.clock.advance(0);
    expect(rude.reg.status.cause!.length).toBe(MAX_CAUSE_CHARS);
    expect(rude.reg.status.cause).toMatch(/^PLATFORM_REJECTED: 486 Busy x/);
  });

  it('a throwing status listener does not break the registration', async () => {
    const t = setup(superior());
    t.reg.onStatus = () => {
      throw new Error('listener');
    };
    t.reg.start();
    await t.clock.advance(0);
    expect(t.reg.status.state).toBe('online');
  });
});
