import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildAuthorization, parseSipMessage, type SipRequest } from '@gb/gb28181';
import { loadConfig } from '../config/config.schema';
import type { IncomingRequest } from '../sip/sip-endpoint';
import type { SipFlow } from '../sip/sip-flow';
import type { SipService } from '../sip/sip.service';
import { newDeviceSession, type DeviceSession } from './device-session';
import type { DevicesService } from './devices.service';
import type { DeviceQueriesService } from './device-queries.service';
import { RegistrarService } from './registrar.service';
import { SignallingAuthService } from './signalling-auth.service';

const ID = '34020000001320000001';
const PASSWORD = '12345678';
const URI = 'sip:34020000002000000001@3402000000';
const T0 = Date.parse('2026-12-02T08:00:00Z'); // the virtual clock starts here

interface Answer {
  status: number;
  headers: [string, string][];
}

/** The registrar with real digest, nonce and guard logic, fake devices and SIP, on vi's fake clock. */
function harness() {
  const cfg = loadConfig({ SIP_PASSWORD: PASSWORD, SIP_AUTH_BAN_FAILURES: '3', SIP_AUTH_BAN_S: '600' });
  const sessions = new Map<string, DeviceSession>();
  const devices = {
    get: (id: string) => sessions.get(id),
    newSession: newDeviceSession,
    registry: { set: (s: DeviceSession) => sessions.set(s.deviceId, s) },
    touch: () => undefined,
    claim: () => undefined,
    shared: false,
    announceOnline: () => undefined,
    announceOffline: () => undefined,
  } as unknown as DevicesService;
  const queries = { afterRegistration: () => undefined } as unknown as DeviceQueriesService;
  const auth = new SignallingAuthService(cfg);
  const registrar = new RegistrarService({ on: () => undefined } as unknown as SipService, devices, queries, auth);
  let cseq = 1;
  /** Sends a REGISTER from `port`; resolves with what the registrar answered (undefined: dropped). */
  const register = (port: number, authorization?: string): Answer | undefined => {
    const text = [
      `REGISTER ${URI} SIP/2.0`,
      `Via: SIP/2.0/UDP 192.0.2.7:${port};rport;branch=z9hG4bK${cseq}x${port}`,
      `From: <sip:${ID}@3402000000>;tag=t${port}`,
      `To: <sip:${ID}@3402000000>`,
      `Call-ID: c${port}@192.0.2.7`,
      `CSeq: ${cseq++} REGISTER`,
      `Contact: <sip:${ID}@192.0.2.7:${port}>`,
      'Expires: 3600',
      ...(authorization ? [`Authorization: ${authorization}`] : []),
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    const flow: SipFlow = { transport: 'udp', remoteHost: '192.0.2.7', remotePort: port, localHost: '192.0.2.1', localPort: 5060 };
    let answer: Answer | undefined;
    const respond: IncomingRequest['respond'] = (status, _reason, opts) => (answer = { status, headers: (opts?.headers ?? []) as [string, string][] });
    registrar.onRegister({ req: parseSipMessage(Buffer.from(text, 'latin1')) as SipRequest, flow, respond });
    return answer;
  };
  const challengeOf = (a: Answer | undefined) => a?.headers.find(([k]) => k === 'WWW-Authenticate')?.[1] ?? '';
  const digest = (challenge: string, password = PASSWORD) => buildAuthorization({ challenge, method: 'REGISTER', uri: URI, username: ID, password, cnonce: 'abcd', nc: 1 });
  return { register, challengeOf, digest, auth, device: () => sessions.get(ID) };
}

describe('RegistrarService on a virtual clock', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('REGISTER -> 401 (algorithm=MD5, no qop by default) -> REGISTER with the digest -> 200 from that address', () => {
    const h = harness();
    const challenge = h.challengeOf(h.register(5060));
    expect(challenge).toMatch(/^Digest realm="3402000000", nonce="[0-9a-f]{32}", algorithm=MD5$/);
    expect(h.register(5060, h.digest(challenge))?.status).toBe(200);
    expect(h.device()?.flow.remotePort).toBe(5060);
  });

  it('a nonce older than 300 s is answered 401 stale=true with a fresh nonce, and the fresh one works', () => {
    const h = harness();
    const old = h.challengeOf(h.register(5060));
    vi.advanceTimersByTime(301_000);
    const again = h.register(5060, h.digest(old));
    expect(again?.status).toBe(401);
    expect(h.challengeOf(again)).toMatch(/stale=true/);
    expect(h.register(5060, h.digest(h.challengeOf(again)))?.status).toBe(200);
  });

  it('the same Authorization replayed from another port within the nonce life is refused (401) and the address stays', () => {
    const h = harness();
    const auth = h.digest(h.challengeOf(h.register(5060)));
    expect(h.register(5060, auth)?.status).toBe(200);
    vi.advanceTimersByTime(10_000);
    expect(h.register(6000, auth)?.status).toBe(401);
    expect(h.device()?.flow.remotePort).toBe(5060);
    expect(h.auth.view(Date.now()).totals.replayed).toBe(1);
  });

  it('3 wrong-password digests from one host ban the device ID there: later REGISTERs get no answer until 600 s have passed', () => {
    const h = harness();
    for (let i = 0; i < 3; i++) expect(h.register(7000 + i, h.digest(h.challengeOf(h.register(7000 + i)), 'wrong'))?.status).toBe(403);
    expect(h.register(7100)).toBeUndefined();
    vi.advanceTimersByTime(599_000);
    expect(h.register(7101)).toBeUndefined();
    vi.advanceTimersByTime(1_000);
    const challenge = h.challengeOf(h.register(7102));
    expect(challenge).toMatch(/^Digest /);
    expect(h.register(7102, h.digest(challenge))?.status).toBe(200);
    expect(h.auth.view(Date.now()).totals).toMatchObject({ forbidden: 3, banned: 2, bans: 1 });
  });

  it('a ban on a device ID from its host never silences the device at its own registered address (no lock-out from behind the same NAT)', () => {
    const h = harness();
    expect(h.register(5060, h.digest(h.challengeOf(h.register(5060))))?.status).toBe(200);
    for (let i = 0; i < 3; i++) expect(h.register(7000 + i, h.digest(h.challengeOf(h.register(7000 + i)), 'wrong'))?.status).toBe(403);
    expect(h.register(7100)).toBeUndefined();
    const refresh = h.register(5060);
    expect(refresh?.status).toBe(401);
    expect(h.register(5060, h.digest(h.challengeOf(refresh)))?.status).toBe(200);
    expect(h.device()?.flow.remotePort).toBe(5060);
  });
});
