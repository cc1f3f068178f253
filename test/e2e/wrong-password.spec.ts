import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { countOf, describeSipp, deviceId, runSipp, stopAllSipp } from '../support/sipp';
import { buildSipRequest, keepaliveBody, statusOf, udpExchange } from '../support/raw-sip';
import { e2eGatewayEnv, findDevice, sipTarget } from './e2e-fixture';

describe('a device with a wrong password', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(e2eGatewayEnv());
  });
  afterEach(async () => {
    await stopAllSipp();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`REGISTER over ${transport} with a digest from the wrong password -> 401 then 403, and the device never shows online`, async () => {
      const id = deviceId(transport === 'udp' ? 21 : 22);
      const r = await runSipp({
        scenario: 'wrong-password',
        target: sipTarget(gw),
        transport,
        devices: [{ id, password: 'not-the-password' }],
      });
      // The scenario itself demands 401 then 403: exit 0 means exactly that sequence.
      expect(r.code, describeSipp(r)).toBe(0);
      expect(countOf(r.counts, '401', 'Recv')).toBe(1);
      expect(countOf(r.counts, '403', 'Recv')).toBe(1);
      expect(r.messages).not.toMatch(/SIP\/2\.0 200 OK/);

      // A keepalive from it afterwards is refused, and it is not online.
      const ka = buildSipRequest({ method: 'MESSAGE', fromUser: id, contentType: 'Application/MANSCDP+xml', body: keepaliveBody(id) });
      const status = statusOf(await udpExchange(gw.sipPort, ka));
      expect(status).toBeGreaterThanOrEqual(400);
      await new Promise((r2) => setTimeout(r2, 500));
      expect((await findDevice(gw, id))?.online ?? false).toBe(false);
    });
  }
});
