import { describe, it, expect, afterEach } from 'vitest';
import { parseNameAddr, parseSipUri } from '@gb/gb28181';
import { FakePlatform, SERVER_ID, DOMAIN, PASSWORD } from '../test/fake-platform';
import { DeviceFleet, type DeviceFleetOptions } from './device-fleet';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function fleetAgainstFake(over: Partial<DeviceFleetOptions> = {}) {
  const platform = new FakePlatform('udp');
  await platform.listen();
  cleanups.push(() => platform.close());
  const fleet = new DeviceFleet({
    count: 4, ratePerSecond: 20, firstDeviceId: '34020000001320000011', channelsPerDevice: 3,
    serverHost: '127.0.0.1', serverPort: platform.port, serverId: SERVER_ID, domain: DOMAIN, password: PASSWORD, transport: 'udp',
    localHost: '127.0.0.1', expires: 600, keepaliveSeconds: 60, charset: 'GB2312', catalogPerMessage: 2,
    manufacturer: 'GBSIM', model: 'SIM', firmware: '1', retryDelayMs: 0, ...over,
  });
  cleanups.push(() => fleet.stop({ unregister: false, timeoutMs: 300 }));
  return { platform, fleet };
}

const fromUser = (v: string | undefined) => parseSipUri(parseNameAddr(v ?? '').uri).user;

describe('DeviceFleet', () => {
  it('start() registers N devices with consecutive IDs from their own ports, paced at the given rate', async () => {
    const { platform, fleet } = await fleetAgainstFake();
    const t0 = Date.now();
    expect(await fleet.start()).toEqual(['registered', 'registered', 'registered', 'registered']);
    // 4 devices at 20/s: the last one starts 150 ms after the first.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    const firsts = platform.received.filter((r) => r.req.method === 'REGISTER' && !r.req.headers.get('Authorization'));
    expect(firsts.map((r) => fromUser(r.req.headers.get('From')))).toEqual([
      '34020000001320000011', '34020000001320000012', '34020000001320000013', '34020000001320000014',
    ]);
    // 150 ms planned; measured at the receiver, where a loaded machine can bunch the arrivals (the start-side bound above is exact).
    expect(firsts[3]!.at - firsts[0]!.at).toBeGreaterThanOrEqual(50);
    expect(new Set(fleet.devices.map((d) => d.localPort)).size).toBe(4);
    const s = fleet.stats();
    expect(s).toMatchObject({ devices: 4, started: 4, registered: 4, online: 4, unauthorized: 0, forbidden: 0, errors: 0 });
    expect(s.registerMs!.max).toBeGreaterThanOrEqual(s.registerMs!.p50);
  });

  it('stop() unregisters every device once, even when called twice, and stats show none online', async () => {
    const { platform, fleet } = await fleetAgainstFake({ ratePerSecond: 0 });
    await fleet.start();
    let unregistered = 0;
    fleet.on('unregistered', () => unregistered++);
    await Promise.all([fleet.stop(), fleet.stop()]);
    const zero = platform.requests('REGISTER').filter((r) => r.headers.get('Expires') === '0');
    expect(zero.map((r) => fromUser(r.headers.get('From'))).sort()).toEqual([
      '34020000001320000011', '34020000001320000012', '34020000001320000013', '34020000001320000014',
    ]);
    expect(unregistered).toBe(4);
    expect(fleet.stats().online).toBe(0);
  });

  it('passes fallbackServers and serverTimeoutMs to every device, which starts on the primary', async () => {
    const { fleet } = await fleetAgainstFake({ count: 2, fallbackServers: [{ host: '127.0.0.2', port: 5070 }], serverTimeoutMs: 1500 });
    for (const d of fleet.devices) {
      expect(d.options).toMatchObject({ fallbackServers: [{ host: '127.0.0.2', port: 5070 }], serverTimeoutMs: 1500 });
      expect(d.currentServer).toEqual({ host: '127.0.0.1', port: fleet.options.serverPort });
    }
    expect(fleet.stats()).toMatchObject({ serverChanges: 0, invitesReceived: 0, ptzCommands: 0 });
  });

  it('a wrong password is counted as forbidden for every device, and a throwing listener does not break the fleet', async () => {
    const { fleet } = await fleetAgainstFake({ count: 2, password: 'nope', ratePerSecond: 0 });
    fleet.on('forbidden', () => {
      throw new Error('listener bug');
    });
    expect(await fleet.start()).toEqual(['forbidden', 'forbidden']);
    expect(fleet.stats()).toMatchObject({ registered: 0, forbidden: 2 });
  });
});
