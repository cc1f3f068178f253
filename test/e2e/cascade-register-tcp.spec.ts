import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSuperior } from '../support/fake-superior';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';

/**
 * A superior platform played by a raw TCP listener (test/support/fake-superior.ts; RFC 3261 §18.3 Content-Length
 * framing) (GB/T 28181-2016 §9.1 as a platform answers a lower one): 401 with a digest challenge (qop=auth), the
 * digest checked there by hand (HA1/HA2/response of Annex J.1), 200 with Expires, 200 to every keepalive. The gateway
 * registers with it through POST /api/platforms.
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
}

describe('cascade: the gateway registers with a superior platform over TCP', () => {
  let gw: TestGateway;
  let superior: FakeSuperior;

  beforeAll(async () => {
    gw = await startTestGateway({ SIP_ID: GATEWAY_ID, SIP_DOMAIN: DOMAIN });
    superior = new FakeSuperior({ transport: 'tcp', password: PASSWORD, user: GATEWAY_ID, qop: true, serverId: SERVER_ID, domain: DOMAIN });
  });
  afterAll(async () => {
    await gw?.stop();
    await superior?.close();
  });

  const platform = async (id: string) => (await gw.api<Platform>(`/api/platforms/${id}`)).body;

  it('opens one connection to the superior: REGISTER over TCP, 401 qop=auth answered, 200, keepalives and the refresh on it; disable sends Expires: 0', async () => {
    const port = await superior.start();
    const created = await gw.api<Platform>('/api/platforms', {
      method: 'POST',
      body: JSON.stringify({ name: 'centre', serverId: SERVER_ID, domain: DOMAIN, host: '127.0.0.1', port, transport: 'tcp', password: PASSWORD, expiresS: 3, keepaliveS: 1 }),
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    await waitFor('online', async () => (await platform(id)).state === 'online', 5_000);
    expect(superior.registers().map((r) => r.status)).toEqual([401, 200]);
    expect(superior.registers()[0]!.req.headers.get('Via')).toMatch(/^SIP\/2\.0\/TCP /);
    await waitFor('a keepalive and a refresh', () => superior.keepalives().length >= 1 && superior.registers().length >= 3, 5_000);
    expect(superior.registers()[2]!.status).toBe(200);
    expect(superior.connections).toBe(1);

    const before = superior.registers().length;
    expect((await gw.api(`/api/platforms/${id}`, { method: 'PATCH', body: JSON.stringify({ enabled: false }) })).status).toBe(200);
    expect(superior.registers().slice(before).map((r) => [r.req.headers.get('Expires'), r.status])).toEqual([['0', 200]]);
  });
});
