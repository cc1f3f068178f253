import type { ChannelDto, DeviceDto } from '@gb/contracts';
import { SimulatedDevice, buildChannels, type SimulatedDeviceOptions } from '../../apps/device-sim/src';
import { waitFor, type TestGateway } from './gateway-harness';

/**
 * A simulated GB28181 device (UDP, GB2312, digest) registered with a test gateway, online and with its catalog stored
 * before this resolves. `channels` simulated channels (channel 1 is a PTZ dome); `extra` overrides any option.
 */
export async function startSimDevice(
  gw: TestGateway,
  o: { deviceId: string; password: string; channels: number; name?: string; extra?: Partial<SimulatedDeviceOptions>; hooks?: ConstructorParameters<typeof SimulatedDevice>[1] },
  beforeStart?: (d: SimulatedDevice) => void,
): Promise<SimulatedDevice> {
  const device = new SimulatedDevice(
    {
      deviceId: o.deviceId, serverHost: '127.0.0.1', serverPort: gw.sipPort, serverId: gw.config.SIP_ID, domain: gw.config.SIP_DOMAIN, password: o.password,
      transport: 'udp', localHost: '127.0.0.1', expires: 3600, keepaliveSeconds: 30, charset: 'GB2312', catalogPerMessage: 2,
      channels: buildChannels(o.deviceId, 0, o.channels), manufacturer: 'GBSIM', model: 'SIM', firmware: '1', name: o.name ?? 'sim', retryDelayMs: 0,
      ...o.extra,
    },
    o.hooks,
  );
  beforeStart?.(device);
  const outcome = await device.start();
  if (outcome !== 'registered') throw new Error(`simulated device ${o.deviceId} did not register: ${outcome}`);
  await waitFor(`device ${o.deviceId} online`, async () => (await gw.api<DeviceDto[]>('/api/devices')).body.some((d) => d.deviceId === o.deviceId && d.online), 10_000);
  await waitFor(`the catalog of ${o.deviceId}`, async () => (await gw.api<ChannelDto[]>(`/api/devices/${o.deviceId}/channels`)).body.length === o.channels, 15_000);
  return device;
}
