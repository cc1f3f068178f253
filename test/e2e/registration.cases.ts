import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { countOf, describeSipp, deviceId, startSipp, stopAllSipp } from '../support/sipp';
import { e2eGatewayEnv, findDevice, listChannels, SIP_PASSWORD, sipTarget, SIPP_CATALOG } from './e2e-fixture';

/** The registration end-to-end cases, run once per transport by register-udp.spec.ts and register-tcp.spec.ts. */
export function describeRegistration(transport: 'udp' | 'tcp', deviceNumber: number): void {
  describe(`a sipp device registering over ${transport.toUpperCase()}`, () => {
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

    it(`REGISTER with digest -> online over ${transport}, with DeviceInfo and both channels of a two-packet GB2312 catalog`, async () => {
      const id = deviceId(deviceNumber);
      const device = await startSipp({
        scenario: 'device-lifecycle',
        ooc: 'device-answers',
        encoding: 'gb2312',
        target: sipTarget(gw),
        transport,
        devices: [{ id, password: SIP_PASSWORD }],
        args: ['-d', '500'],
      });
      const online = await waitFor('device online', async () => {
        const d = await findDevice(gw, id);
        return d?.online ? d : undefined;
      }, 15_000).catch(async (e) => {
        throw new Error(`${(e as Error).message}\n${describeSipp(await device.stop())}`);
      });
      expect(online.transport).toBe(transport);
      expect(online.remoteAddress).toContain(String(device.localPort));
      expect(online.registeredAt).not.toBeNull();

      const channels = await waitFor('two catalog channels', async () => {
        const c = await listChannels(gw, id);
        return c.length === 2 ? c : undefined;
      }, 15_000).catch(async (e) => {
        const r = await device.stop();
        throw new Error(`${(e as Error).message}\n${describeSipp(r)}\nmessages:\n${r.messages.slice(-6000)}`);
      });
      const got = channels.map((c) => ({ channelId: c.channelId, name: c.name })).sort((a, b) => a.channelId.localeCompare(b.channelId));
      expect(got).toEqual(SIPP_CATALOG);
      expect(channels.every((c) => c.parentId === id && c.civilCode === '340200' && c.status === 'ON')).toBe(true);

      const info = await waitFor('DeviceInfo stored', async () => {
        const d = await findDevice(gw, id);
        return d?.manufacturer && d.channelCount === 2 ? d : undefined;
      });
      expect(info).toMatchObject({ manufacturer: 'SIPp', model: 'GB-DEVICE-SIM', firmware: 'V3.6.1', channelCount: 2 });

      const r = await device.stop();
      // One challenge, one authorised REGISTER; the catalog packets and DeviceInfo answer each got a 200.
      expect(countOf(r.counts, 'REGISTER', 'Sent'), describeSipp(r)).toBe(2);
      expect(countOf(r.counts, '401', 'Recv')).toBe(1);
      // The gateway's two queries, as the device received them.
      expect(r.messages).toMatch(/<Query>\s*<CmdType>DeviceInfo<\/CmdType>/);
      expect(r.messages).toMatch(/<Query>\s*<CmdType>Catalog<\/CmdType>/);
      expect(r.messages).toMatch(/SIP\/2\.0 200 OK[\s\S]*Date: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    });
  });
}
