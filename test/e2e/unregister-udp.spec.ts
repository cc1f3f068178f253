import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { countOf, describeSipp, deviceId, runSipp, startSipp, stopAllSipp } from '../support/sipp';
import { buildSipRequest, keepaliveBody, statusOf, udpExchange } from '../support/raw-sip';
import { e2eGatewayEnv, findDevice, SIP_PASSWORD, sipTarget } from './e2e-fixture';

describe('unregistration over UDP', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    // A long keepalive bound, so that only the unregistration can take the device offline here.
    gw = await startTestGateway(e2eGatewayEnv({ KEEPALIVE_INTERVAL_S: '60', KEEPALIVE_MAX_MISSED: '3' }));
  });
  afterEach(async () => {
    await stopAllSipp();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('register, two keepalives, then REGISTER with Expires: 0 -> 200 and the device goes offline at once', async () => {
    const id = deviceId(31);
    // A long-running answerer so the gateway's DeviceInfo/Catalog queries after registration get answers.
    const r = await runSipp({
      scenario: 'device-lifecycle',
      ooc: 'device-answers',
      encoding: 'gb2312',
      target: sipTarget(gw),
      transport: 'udp',
      devices: [{ id, password: SIP_PASSWORD }],
      keys: { ka_count: 2, unregister: 'yes' },
      args: ['-d', '200'],
    });
    expect(r.code, describeSipp(r)).toBe(0);
    // Two REGISTERs to register, one or two (re-challenged) to unregister, each ended by a 200.
    expect(countOf(r.counts, 'REGISTER', 'Sent')).toBeGreaterThanOrEqual(3);
    expect(r.messages).toMatch(/Expires: 0[\s\S]*SIP\/2\.0 200 OK/);
    const d = await waitFor('device known', () => findDevice(gw, id));
    expect(d.online).toBe(false);
  });

  it('after unregistering, a keepalive is refused until the device registers again', async () => {
    const id = deviceId(32);
    const first = await runSipp({
      scenario: 'unregister',
      target: sipTarget(gw),
      transport: 'udp',
      devices: [{ id, password: SIP_PASSWORD }],
    });
    expect(first.code, describeSipp(first)).toBe(0);
    await waitFor('device offline', async () => (await findDevice(gw, id))?.online === false);

    const ka = buildSipRequest({ method: 'MESSAGE', fromUser: id, contentType: 'Application/MANSCDP+xml', body: keepaliveBody(id) });
    expect(statusOf(await udpExchange(gw.sipPort, ka))).toBeGreaterThanOrEqual(400);
    expect((await findDevice(gw, id))?.online).toBe(false);

    const again = await startSipp({
      scenario: 'device-lifecycle',
      ooc: 'device-answers',
      encoding: 'gb2312',
      target: sipTarget(gw),
      transport: 'udp',
      devices: [{ id, password: SIP_PASSWORD }],
      args: ['-d', '300'],
    });
    await waitFor('device online again', async () => (await findDevice(gw, id))?.online, 15_000);
    await again.stop();
  });
});
