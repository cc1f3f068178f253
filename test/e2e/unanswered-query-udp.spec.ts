import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { describeSipp, deviceId, runSipp, stopAllSipp } from '../support/sipp';
import { QUERY_ANSWER_TIMEOUT_MS } from '../../apps/gateway/src/devices/device-queries.service';
import { e2eGatewayEnv, findDevice, SIP_PASSWORD, sipTarget } from './e2e-fixture';

describe('a device that goes away right after registering', () => {
  let gw: TestGateway;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    gw = await startTestGateway(e2eGatewayEnv());
  });
  afterEach(async () => {
    await stopAllSipp();
  });
  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    await gw?.stop();
  });

  it('never answering the DeviceInfo query -> the query times out quietly: no unhandled rejection, the gateway keeps serving', async () => {
    const id = deviceId(51);
    // device-register has no out-of-call scenario and exits after its 200: the gateway's query goes unanswered.
    const r = await runSipp({ scenario: 'device-register', target: sipTarget(gw), transport: 'udp', devices: [{ id, password: SIP_PASSWORD }] });
    expect(r.code, describeSipp(r)).toBe(0);
    await waitFor('device online', async () => (await findDevice(gw, id))?.online);

    await new Promise((done) => setTimeout(done, QUERY_ANSWER_TIMEOUT_MS + 1500));
    expect(rejections.map((e) => String((e as Error)?.message ?? e))).toEqual([]);
    const health = await fetch(`${gw.httpUrl}/api/health`);
    expect(health.status).toBe(200);
  }, 30_000);
});
