import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import type { ChannelDto, DeviceDto } from '@gb/contracts';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { DeviceFleet, channelName, offsetGbId, type DeviceFleetOptions } from '../../apps/device-sim/src';

const CHANNELS = 4;
const UDP_FIRST = '34020000001320000101';
const TCP_FIRST = '34020000001320000201';

function fleetOptions(gw: TestGateway, transport: 'udp' | 'tcp', firstDeviceId: string, count: number): DeviceFleetOptions {
  return {
    count, ratePerSecond: 0, firstDeviceId, channelsPerDevice: CHANNELS,
    serverHost: '127.0.0.1', serverPort: gw.sipPort, serverId: gw.config.SIP_ID, domain: gw.config.SIP_DOMAIN, password: '12345678',
    transport, localHost: '127.0.0.1', expires: 3600, keepaliveSeconds: 30, charset: 'GB2312', catalogPerMessage: 2,
    manufacturer: 'GBSIM', model: 'SIM-NVR', firmware: '1.0.0', retryDelayMs: 0,
  };
}

describe('device-sim against the real gateway (UDP and TCP)', () => {
  let gw: TestGateway;
  const fleets: DeviceFleet[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({ SIP_PASSWORD: '12345678' });
  });

  afterAll(async () => {
    await Promise.all(fleets.map((f) => f.stop({ unregister: false, timeoutMs: 500 })));
    await gw?.stop();
  });

  it('3 UDP and 2 TCP devices with 4 channels register, sync Chinese channel names, and go offline when they unregister', async () => {
    const udp = new DeviceFleet(fleetOptions(gw, 'udp', UDP_FIRST, 3));
    const tcp = new DeviceFleet(fleetOptions(gw, 'tcp', TCP_FIRST, 2));
    fleets.push(udp, tcp);
    for (const f of fleets) f.on('error', (d, e) => errors.push(`${d.deviceId}: ${e.message}`));
    const answered: string[] = [];
    for (const f of fleets) f.on('query', (d, q) => answered.push(`${d.deviceId} ${q.cmdType} packets=${q.packetsSent} ok=${q.ok}`));
    let lastSeen: string[] = [];
    const outcomes = await Promise.all([udp.start(), tcp.start()]);
    expect(outcomes.flat()).toEqual(['registered', 'registered', 'registered', 'registered', 'registered']);

    const expected = [
      ...[0, 1, 2].map((i) => ({ id: offsetGbId(UDP_FIRST, i), index: i, transport: 'udp' })),
      ...[0, 1].map((i) => ({ id: offsetGbId(TCP_FIRST, i), index: i, transport: 'tcp' })),
    ];
    const devices = await waitForOr(
      () => `the gateway lists [${lastSeen.join('; ')}] while the simulator answered [${answered.join('; ')}]`,
      'five online devices with 4 channels each',
      async () => {
        const r = await gw.api<DeviceDto[]>('/api/devices');
        const mine = r.body.filter((d) => expected.some((e) => e.id === d.deviceId));
        lastSeen = mine.map((d) => `${d.deviceId} online=${d.online} channelCount=${d.channelCount}`);
        return mine.length === 5 && mine.every((d) => d.online && d.channelCount === CHANNELS) && mine;
      },
      15_000,
    );
    for (const e of expected) {
      const d = devices.find((x) => x.deviceId === e.id)!;
      expect(d.transport.toLowerCase()).toBe(e.transport);
      expect(d.manufacturer).toBe('GBSIM');
      const ch = await gw.api<ChannelDto[]>(`/api/devices/${e.id}/channels`);
      expect(ch.status).toBe(200);
      const names = ch.body.map((c) => c.name).sort();
      const want = [1, 2, 3, 4].map((i) => channelName(e.index, i)).sort();
      expect(names).toEqual(want);
      expect(ch.body.every((c) => c.parentId === e.id && c.deviceId === e.id)).toBe(true);
    }
    expect(names0(await gw.api<ChannelDto[]>(`/api/devices/${UDP_FIRST}/channels`))).toContain('东门路口一号');
    expect(udp.stats().catalogPackets + tcp.stats().catalogPackets).toBe(5 * Math.ceil(CHANNELS / 2));

    await Promise.all([udp.stop({ unregister: true }), tcp.stop({ unregister: true })]);
    await waitFor(
      'all five devices offline after unregistering',
      async () => {
        const r = await gw.api<DeviceDto[]>('/api/devices');
        const mine = r.body.filter((d) => expected.some((e) => e.id === d.deviceId));
        return mine.length === 5 && mine.every((d) => !d.online);
      },
      5_000,
    );
    expect(errors).toEqual([]);
  });
});

/** waitFor, with what was last observed appended to the timeout message. */
async function waitForOr<T>(observed: () => string, ...args: Parameters<typeof waitFor<T>>): Promise<T> {
  try {
    return await waitFor<T>(...args);
  } catch (e) {
    throw new Error(`${(e as Error).message}; ${observed()}`);
  }
}

function names0(r: { body: ChannelDto[] }): (string | null)[] {
  return r.body.map((c) => c.name);
}
