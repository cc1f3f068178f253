import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { countOf, describeSipp, deviceId, freePort, startSipp, stopAllSipp } from '../support/sipp';
import { e2eGatewayEnv, findDevice, listChannels, SIP_PASSWORD } from './e2e-fixture';

describe('a gateway restart', () => {
  const gateways: TestGateway[] = [];
  let dataDir: string | undefined;
  afterEach(async () => {
    await stopAllSipp();
  });
  afterAll(async () => {
    for (const g of gateways) await g.stop({ keepData: true });
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('a device registered before the restart comes back online from keepalives alone, without a new REGISTER', async () => {
    const id = deviceId(41);
    const sipPort = await freePort();
    // Registrations last an hour; the keepalive bound is 1 s × 2, so the device is offline after the restart.
    const env = e2eGatewayEnv({ SIP_PORT: String(sipPort) });
    const first = await startTestGateway(env);
    gateways.push(first);
    dataDir = first.dataDir;
    const target = `127.0.0.1:${sipPort}`;

    const device = await startSipp({
      scenario: 'device-lifecycle',
      ooc: 'device-answers',
      encoding: 'gb2312',
      target,
      transport: 'udp',
      devices: [{ id, password: SIP_PASSWORD }],
      args: ['-d', '300'],
    });
    await waitFor('device online before the restart', async () => (await findDevice(first, id))?.online, 15_000);
    await waitFor('catalog stored before the restart', async () => (await listChannels(first, id)).length === 2, 15_000);
    const before = await device.stop();
    expect(countOf(before.counts, 'REGISTER', 'Sent'), describeSipp(before)).toBe(2);

    await first.stop({ keepData: true });
    const restartedAt = Date.now();
    const second = await startTestGateway(env, dataDir);
    gateways.push(second);
    expect(second.sipPort).toBe(sipPort);
    // What the restarted gateway loaded: the device and its channels, not (yet) proven alive.
    const loaded = await findDevice(second, id);
    expect(loaded).toBeDefined();
    expect((await listChannels(second, id)).length).toBe(2);

    // The same device, from the same address: a keepalive from another address would have to authenticate (issue #16).
    const keepalives = await startSipp({
      scenario: 'keepalive-only',
      ooc: 'device-answers',
      encoding: 'gb2312',
      target,
      transport: 'udp',
      devices: [{ id, password: SIP_PASSWORD }],
      args: ['-d', '300'],
      localPort: device.localPort,
    });
    const back = await waitFor('device online after the restart', async () => {
      const d = await findDevice(second, id);
      return d?.online && d.lastKeepaliveAt && Date.parse(d.lastKeepaliveAt) >= restartedAt ? d : undefined;
    }, 15_000).catch(async (e) => {
      throw new Error(`${(e as Error).message}\n${describeSipp(await keepalives.stop())}`);
    });
    expect(back.online).toBe(true);

    const after = await keepalives.stop();
    // Every keepalive was answered 200 (a 404/403 would have failed the call), and no REGISTER went out.
    expect(countOf(after.counts, 'REGISTER', 'Sent'), describeSipp(after)).toBe(0);
    expect(countOf(after.counts, 'MESSAGE', 'Sent')).toBeGreaterThanOrEqual(1);
    expect(countOf(after.counts, '200', 'Recv')).toBeGreaterThanOrEqual(1);
    expect(after.stats?.failedCalls ?? 0).toBe(0);
    expect(after.messages).not.toMatch(/^REGISTER /m);
    expect(after.messages).not.toMatch(/SIP\/2\.0 (401|403|404)/);
  });
});
