import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { countOf, describeSipp, deviceId, startSipp, stopAllSipp } from '../support/sipp';
import { e2eGatewayEnv, findDevice, SIP_PASSWORD, sipTarget } from './e2e-fixture';

// KEEPALIVE_INTERVAL_S 1 × KEEPALIVE_MAX_MISSED 2: offline 2 s after the last keepalive.
const OFFLINE_BOUND_MS = 2000;

describe('keepalive over UDP', () => {
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

  it('keepalives every 300 ms keep a device online past the offline bound; once they stop it goes offline within the bound plus a scan', async () => {
    const id = deviceId(11);
    const device = await startSipp({
      scenario: 'device-lifecycle',
      ooc: 'device-answers',
      encoding: 'gb2312',
      target: sipTarget(gw),
      transport: 'udp',
      devices: [{ id, password: SIP_PASSWORD }],
      args: ['-d', '300'],
    });
    await waitFor('device online', async () => (await findDevice(gw, id))?.online, 15_000);

    // Three offline bounds of keepalives: still online at every look.
    const until = Date.now() + 3 * OFFLINE_BOUND_MS;
    while (Date.now() < until) {
      expect((await findDevice(gw, id))?.online).toBe(true);
      await new Promise((r) => setTimeout(r, 250));
    }
    const r = await device.stop();
    expect(countOf(r.counts, 'MESSAGE', 'Sent'), describeSipp(r)).toBeGreaterThanOrEqual(10);
    const stoppedAt = Date.now();

    await waitFor('device offline', async () => (await findDevice(gw, id))?.online === false, OFFLINE_BOUND_MS + 6000, 50);
    const tookMs = Date.now() - stoppedAt;
    // Not before the bound (less the ≤300 ms since the last keepalive), not much after it.
    expect(tookMs).toBeGreaterThanOrEqual(OFFLINE_BOUND_MS - 400);
    expect(tookMs).toBeLessThanOrEqual(OFFLINE_BOUND_MS + 4000);
  });
});
