import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSuperior } from '../support/fake-superior';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';

/**
 * A superior platform played by a raw UDP socket (test/support/fake-superior.ts, GB/T 28181-2016 §9.1 as a platform
 * answers a lower one): 401 with a digest challenge, the digest checked there by hand (HA1/HA2/response of Annex
 * J.1), 200 with Expires, 200 to every keepalive. The gateway registers with it through POST /api/platforms.
 */
const SERVER_ID = '34020000002000000002';
const DOMAIN = '3402000000';
const GATEWAY_ID = '34020000002000000001';
const PASSWORD = 'cascade-pass-1';

interface Platform {
  id: string;
  state: string;
  cause: string | null;
  lastKeepaliveAt: string | null;
  localId: string;
  enabled: boolean;
}

describe('cascade: the gateway registers with a superior platform over UDP', () => {
  let gw: TestGateway;
  const superiors: FakeSuperior[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({ SIP_ID: GATEWAY_ID, SIP_DOMAIN: DOMAIN });
  });
  /** Set once the gateway was restarted over the first one's data dir (the harness then leaves it to us). */
  let ownDataDir: string | undefined;
  afterAll(async () => {
    await gw?.stop();
    await Promise.all(superiors.map((s) => s.close()));
    if (ownDataDir) rmSync(ownDataDir, { recursive: true, force: true });
  });

  async function superior(password: string, user = GATEWAY_ID): Promise<{ s: FakeSuperior; port: number }> {
    const s = new FakeSuperior({ transport: 'udp', password, user, serverId: SERVER_ID, domain: DOMAIN });
    superiors.push(s);
    return { s, port: await s.start() };
  }

  const body = (port: number, extra: Record<string, unknown> = {}) => ({ name: '市指挥中心', serverId: SERVER_ID, domain: DOMAIN, host: '127.0.0.1', port, transport: 'udp', password: PASSWORD, ...extra });
  const platform = async (id: string) => (await gw.api<Platform>(`/api/platforms/${id}`)).body;

  it('401 → digest → 200 online; keepalives every keepaliveS; a re-register before expiry; PATCH enabled false sends Expires: 0', async () => {
    const { s, port } = await superior(PASSWORD);
    const created = await gw.api<Platform>('/api/platforms', { method: 'POST', body: JSON.stringify(body(port, { expiresS: 3, keepaliveS: 1 })) });
    expect(created.status).toBe(201);
    expect(JSON.stringify(created.body)).not.toContain(PASSWORD);
    const id = created.body.id;

    await waitFor('online', async () => (await platform(id)).state === 'online', 5_000);
    const [first, second] = s.registers();
    expect(first!.status).toBe(401);
    expect(second!.status).toBe(200);
    expect(first!.req.uri).toBe(`sip:${SERVER_ID}@${DOMAIN}`);
    expect(first!.req.headers.get('From')).toContain(`sip:${GATEWAY_ID}@${DOMAIN}`);
    expect(first!.req.headers.get('Contact')).toBe(`<sip:${GATEWAY_ID}@127.0.0.1:${gw.sipPort}>`);
    expect(first!.req.headers.get('Expires')).toBe('3');

    await waitFor('two keepalives', () => s.keepalives().length >= 2, 5_000);
    expect(s.keepalives()[0]!.req.body.toString('latin1')).toMatch(new RegExp(`<DeviceID>${GATEWAY_ID}</DeviceID>[\\s\\S]*<Status>OK</Status>`));
    await waitFor('lastKeepaliveAt', async () => (await platform(id)).lastKeepaliveAt !== null, 3_000);

    // Re-register at 2/3 of the 3 s granted: before the registration runs out, with the digest answered up front.
    await waitFor('a refresh', () => s.registers().length >= 3, 5_000);
    const refresh = s.registers()[2]!;
    expect(refresh.at - second!.at).toBeLessThan(3_000);
    expect(refresh.req.headers.get('Authorization')).toBeDefined();
    expect(refresh.status).toBe(200);

    const before = s.registers().length;
    const off = await gw.api<Platform>(`/api/platforms/${id}`, { method: 'PATCH', body: JSON.stringify({ enabled: false }) });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ state: 'disabled', enabled: false });
    const unregister = s.registers().slice(before).find((r) => r.req.headers.get('Expires') === '0');
    expect(unregister?.status).toBe(200);
    const keepalivesAtStop = s.keepalives().length;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(s.keepalives().length).toBe(keepalivesAtStop);
  });

  it('a wrong password: the superior answers 403 and GET shows failed with the cause; fixing it registers, DELETE unregisters', async () => {
    const { s, port } = await superior(PASSWORD);
    const created = await gw.api<Platform>('/api/platforms', { method: 'POST', body: JSON.stringify(body(port, { password: 'not-the-password' })) });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const failed = await waitFor('failed', async () => {
      const p = await platform(id);
      return p.state === 'failed' ? p : undefined;
    }, 5_000);
    expect(failed.cause).toBe('PLATFORM_FORBIDDEN: 403 Forbidden');
    expect(s.registers().map((r) => r.status)).toEqual([401, 403]);
    const listed = (await gw.api<Platform[]>('/api/platforms')).body.find((p) => p.id === id);
    expect(listed).toMatchObject({ state: 'failed', cause: 'PLATFORM_FORBIDDEN: 403 Forbidden' });
    expect(JSON.stringify(listed)).not.toContain('not-the-password');

    expect((await gw.api(`/api/platforms/${id}`, { method: 'PATCH', body: JSON.stringify({ password: PASSWORD }) })).status).toBe(200);
    await waitFor('online', async () => (await platform(id)).state === 'online', 5_000);

    const before = s.registers().length;
    expect((await gw.api(`/api/platforms/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect(s.registers().slice(before).some((r) => r.req.headers.get('Expires') === '0' && r.status === 200)).toBe(true);
    expect((await gw.api(`/api/platforms/${id}`)).status).toBe(404);
  });

  it('POST with a bad body: 400 VALIDATION_FAILED naming the field; a duplicate registration: 409 CONFLICT; a viewer reads, never writes', async () => {
    const bad = await gw.api<{ code: string; message: string }>('/api/platforms', { method: 'POST', body: JSON.stringify(body(5060, { port: 70000 })) });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
    expect(bad.body.message).toMatch(/^port: /);
    const a = await gw.api<Platform>('/api/platforms', { method: 'POST', body: JSON.stringify(body(9, { enabled: false })) });
    expect(a.status).toBe(201);
    expect(a.body.state).toBe('disabled');
    const dup = await gw.api<{ code: string }>('/api/platforms', { method: 'POST', body: JSON.stringify(body(9, { enabled: false })) });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('CONFLICT');

    // A viewer sees the list (never a password) and may not add, change or delete.
    expect((await gw.api('/api/users', { method: 'POST', body: JSON.stringify({ username: 'watcher', password: 'watcher-pass', role: 'viewer' }) })).status).toBe(201);
    const login = await fetch(`${gw.httpUrl}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'watcher', password: 'watcher-pass' }) });
    const viewer = { authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}`, 'content-type': 'application/json' };
    const seen = await fetch(`${gw.httpUrl}/api/platforms`, { headers: viewer });
    expect(seen.status).toBe(200);
    const text = await seen.text();
    expect(text).toContain(a.body.id);
    expect(text).not.toMatch(/password|cascade-pass/);
    for (const [method, path] of [['POST', '/api/platforms'], ['PATCH', `/api/platforms/${a.body.id}`], ['DELETE', `/api/platforms/${a.body.id}`]] as const) {
      const r = await fetch(`${gw.httpUrl}${path}`, { method, headers: viewer, body: method === 'DELETE' ? undefined : JSON.stringify({ enabled: true }) });
      expect(r.status, `${method} ${path}`).toBe(403);
    }
    expect((await gw.api(`/api/platforms/${a.body.id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('application shutdown sends REGISTER Expires: 0; after a restart over the same data the platform registers again', async () => {
    const localId = '34020000002000000077';
    const { s, port } = await superior(PASSWORD, localId);
    const created = await gw.api<Platform>('/api/platforms', { method: 'POST', body: JSON.stringify(body(port, { localId })) });
    expect(created.body.localId).toBe(localId);
    await waitFor('online', async () => (await platform(created.body.id)).state === 'online', 5_000);
    const before = s.registers().length;
    const dataDir = gw.dataDir;
    await gw.stop({ keepData: true });
    expect(s.registers().slice(before).map((r) => [r.req.headers.get('Expires'), r.status])).toEqual([['0', 200]]);

    // The platform is stored: the restarted gateway registers again by itself.
    gw = await startTestGateway({ SIP_ID: GATEWAY_ID, SIP_DOMAIN: DOMAIN }, dataDir);
    ownDataDir = dataDir;
    await waitFor('online after the restart', async () => (await platform(created.body.id)).state === 'online', 5_000);
    expect(s.registers().slice(before + 1).map((r) => r.status)).toEqual([401, 200]);
  });
});
