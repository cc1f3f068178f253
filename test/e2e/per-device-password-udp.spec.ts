import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceDto } from '@gb/contracts';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';
import { SimulatedDevice, deviceOptionsAt, type SimulatedDeviceOptions } from '../../apps/device-sim/src';

const ID = '34020000001320000501';

describe('per-device digest passwords (PATCH /api/devices/:id { password })', () => {
  let gw: TestGateway;
  const devices: SimulatedDevice[] = [];

  function device(password: string): SimulatedDevice {
    const o: SimulatedDeviceOptions = deviceOptionsAt(
      {
        firstDeviceId: ID, channelsPerDevice: 1, serverHost: '127.0.0.1', serverPort: gw.sipPort, serverId: gw.config.SIP_ID,
        domain: gw.config.SIP_DOMAIN, password, transport: 'udp', localHost: '127.0.0.1', expires: 3600, keepaliveSeconds: 30,
        charset: 'GB2312', catalogPerMessage: 2, manufacturer: 'GBSIM', model: 'SIM-IPC', firmware: '1.0.0', retryDelayMs: 60_000,
      },
      0,
    );
    const d = new SimulatedDevice(o);
    devices.push(d);
    return d;
  }

  beforeAll(async () => {
    gw = await startTestGateway({ SIP_PASSWORD: 'global-secret' });
  });
  afterEach(async () => {
    await Promise.all(devices.splice(0).map((d) => d.stop({ unregister: false, timeoutMs: 500 })));
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('a per-device password replaces the global one for that device; clearing it restores the global one', async () => {
    expect(await device('global-secret').start()).toBe('registered');
    await waitFor('device online', async () => (await gw.api<DeviceDto>(`/api/devices/${ID}`)).body.online);
    await Promise.all(devices.splice(0).map((d) => d.stop({ unregister: true })));

    const patched = await gw.api<DeviceDto>(`/api/devices/${ID}`, { method: 'PATCH', body: JSON.stringify({ password: 'device-secret' }) });
    expect(patched.status).toBe(200);
    expect(patched.body.hasPassword).toBe(true);

    // The global password no longer opens this device: 403, and it stays offline.
    expect(await device('global-secret').start()).toBe('forbidden');
    expect((await gw.api<DeviceDto>(`/api/devices/${ID}`)).body.online).toBe(false);
    await Promise.all(devices.splice(0).map((d) => d.stop({ unregister: false })));

    expect(await device('device-secret').start()).toBe('registered');
    await waitFor('device online with its own password', async () => (await gw.api<DeviceDto>(`/api/devices/${ID}`)).body.online);
    await Promise.all(devices.splice(0).map((d) => d.stop({ unregister: true })));

    const cleared = await gw.api<DeviceDto>(`/api/devices/${ID}`, { method: 'PATCH', body: JSON.stringify({ password: null }) });
    expect(cleared.body.hasPassword).toBe(false);
    expect(await device('device-secret').start()).toBe('forbidden');
    await Promise.all(devices.splice(0).map((d) => d.stop({ unregister: false })));
    expect(await device('global-secret').start()).toBe('registered');
  });
});
