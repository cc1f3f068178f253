import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceDto, RegistrationFailuresDto } from '@gb/contracts';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { statusOf } from '../support/raw-sip';
import { RawUdpDevice } from '../support/raw-udp-device';
import { e2eGatewayEnv, SIP_PASSWORD } from './e2e-fixture';

/**
 * Issue #16 item 1 (no hijack) and issue #8 items 4 and 7, against a real gateway on loopback with hand-driven UDP
 * devices: each socket is one source port, so "another port" is another socket.
 */
describe('registrar: replay, spoofed keepalives, NAT rebinding, failures view, ID rule (UDP)', () => {
  let gw: TestGateway;
  const peers: RawUdpDevice[] = [];
  const open = async (deviceId: string, password = SIP_PASSWORD) => {
    const p = await RawUdpDevice.open({ gatewayPort: gw.sipPort, deviceId, password });
    peers.push(p);
    return p;
  };
  const device = async (id: string) => (await gw.api<DeviceDto>(`/api/devices/${id}`)).body;
  /** Sends a Catalog query through the API and resolves once one of the sockets receives it. */
  const catalogQueryLandsOn = async (id: string, sockets: RawUdpDevice[]): Promise<RawUdpDevice> => {
    for (const s of sockets) s.received.length = 0;
    void gw.api(`/api/devices/${id}/catalog`, { method: 'POST' });
    return waitFor('the Catalog query', () => sockets.find((s) => s.received.some((r) => r.includes('<CmdType>Catalog</CmdType>'))), 5000, 20);
  };

  beforeAll(async () => {
    // Keepalive bounds long enough that the hand-driven devices stay online for the whole spec.
    gw = await startTestGateway(e2eGatewayEnv({ KEEPALIVE_INTERVAL_S: '60', KEEPALIVE_MAX_MISSED: '3' }));
  });
  afterEach(() => {
    for (const p of peers.splice(0)) p.close();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('a REGISTER replayed with the same Authorization from another port gets 401, not 200, and the device keeps its address', async () => {
    const id = '34020000001320000701';
    const real = await open(id);
    expect(await real.register()).toBe(200);
    expect((await device(id)).remoteAddress).toBe(`127.0.0.1:${real.port}`);

    const attacker = await open(id);
    const replay = await attacker.exchange(attacker.registerBytes(real.lastAuthorization));
    expect(statusOf(replay)).toBe(401);
    expect((await device(id)).remoteAddress).toBe(`127.0.0.1:${real.port}`);

    const view = (await gw.api<RegistrationFailuresDto>('/api/registration-failures')).body;
    expect(view.failures.find((f) => f.deviceId === id)).toMatchObject({ replays: 1, lastKind: 'replayed', lastStatus: 401, sourceAddress: `127.0.0.1:${attacker.port}` });
  });

  it('a spoofed Keepalive from another port is challenged and moves nothing; a NAT rebinding (fresh digest from a new port) moves the device, and queries follow it', async () => {
    const id = '34020000001320000702';
    const before = await open(id);
    expect(await before.register()).toBe(200);

    const spoofer = await open(id);
    expect(statusOf(await spoofer.exchange(spoofer.keepaliveBytes()))).toBe(401);
    expect((await device(id)).remoteAddress).toBe(`127.0.0.1:${before.port}`);
    expect(await catalogQueryLandsOn(id, [before, spoofer])).toBe(before);

    // The device's NAT mapping changed: it re-registers from its new port with a fresh digest.
    const after = await open(id);
    expect(await after.register()).toBe(200);
    expect((await device(id)).remoteAddress).toBe(`127.0.0.1:${after.port}`);
    expect(await catalogQueryLandsOn(id, [before, after])).toBe(after);
    expect(before.received).toEqual([]);
    // Its keepalives from the new port are accepted as they are.
    expect(statusOf(await after.exchange(after.keepaliveBytes(2)))).toBe(200);
  });

  it('a keepalive from a new port that answers the 401 with a correct digest over MESSAGE moves the device at once', async () => {
    const id = '34020000001320000703';
    const before = await open(id);
    expect(await before.register()).toBe(200);
    const moved = await open(id);
    const challenge = await moved.exchange(moved.keepaliveBytes(1));
    expect(statusOf(challenge)).toBe(401);
    const auth = moved.answer(challenge!, SIP_PASSWORD, 'MESSAGE');
    const withAuth = Buffer.from(moved.keepaliveBytes(2).toString('latin1').replace('Max-Forwards: 70\r\n', `Max-Forwards: 70\r\nAuthorization: ${auth}\r\n`), 'latin1');
    expect(statusOf(await moved.exchange(withAuth))).toBe(200);
    expect((await device(id)).remoteAddress).toBe(`127.0.0.1:${moved.port}`);
  });

  it('a device with a wrong password shows in GET /api/registration-failures with its 403s, unanswered challenges, last reason and time', async () => {
    const id = '34020000001320000704';
    const d = await open(id, 'not-the-password');
    const t0 = Date.now();
    expect(await d.register()).toBe(403);
    expect(await d.register()).toBe(403);
    // A device that invents its own nonce gets 401 for ever: each one counts as a challenge never answered correctly.
    const invented = 'Digest username="' + id + '", realm="3402000000", nonce="0123456789abcdef", uri="sip:34020000002000000001@3402000000", response="00000000000000000000000000000000", algorithm=MD5';
    expect(statusOf(await d.exchange(d.registerBytes(invented)))).toBe(401);

    const view = (await gw.api<RegistrationFailuresDto>('/api/registration-failures')).body;
    const entry = view.failures.find((f) => f.deviceId === id);
    expect(entry).toMatchObject({ sourceAddress: `127.0.0.1:${d.port}`, transport: 'udp', forbidden: 2, lastStatus: 401, lastReason: 'nonce not issued by this gateway', bannedUntil: null });
    expect(entry!.challenges).toBeGreaterThanOrEqual(1);
    expect(Date.parse(entry!.lastAt)).toBeGreaterThanOrEqual(t0 - 1000);
    expect(view.totals.forbidden).toBeGreaterThanOrEqual(2);
    expect((await device(id))?.online ?? false).toBe(false);
  });

  it('an ID the registrar accepts but that is not 20 digits can be read, played (the route accepts it) and deleted through the API', async () => {
    const id = 'CAM01';
    const d = await open(id);
    expect(await d.register()).toBe(200);
    const got = await gw.api<DeviceDto>(`/api/devices/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ deviceId: id, online: true });

    // The device answers the INVITE 486: the route took the IDs and the INVITE reached the device.
    const play = await gw.api<{ code?: string }>(`/api/devices/${id}/channels/${id}/play`, { method: 'POST', body: JSON.stringify({ transport: 'udp' }) });
    expect(play.status).not.toBe(400);
    expect(play.body?.code).not.toBe('VALIDATION_FAILED');
    expect(d.received.some((r) => r.startsWith(`INVITE sip:${id}@`))).toBe(true);

    expect((await gw.api(`/api/devices/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await gw.api(`/api/devices/${id}`)).status).toBe(404);
  });
});
