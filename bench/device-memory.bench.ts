import { spawnSync } from 'node:child_process';
import type { BenchResult } from './bench-result';

const GROUP = 'registrations';
const DEVICES = 20_000;

/**
 * Steady-state memory per registered device: the JS heap the gateway's device table holds for 20,000 devices
 * filled as after a registration with DeviceInfo and a synced catalog (what stays once the registration's SIP
 * transactions, 32 s at most, are gone). Measured in a child with --expose-gc: heap used after a full GC, before
 * and after. The registrations bench's RSS figure (whole process, transactions and embedded database included) is
 * the transient side of the same question.
 */
export async function run(): Promise<BenchResult[]> {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', __filename, '--measure'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`device-memory child failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const { perDevice, devices } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { perDevice: number; devices: number };
  return [
    {
      group: GROUP,
      name: 'JS heap per registered device (device table, steady state)',
      value: Math.round(perDevice),
      unit: 'bytes/device',
      better: 'lower',
      target: 2048,
      note: `${devices} devices with contact, DeviceInfo and catalog fields, heap after full GC (node --expose-gc)`,
    },
  ];
}

async function measure(): Promise<void> {
  const { DeviceRegistry } = await import('../apps/gateway/src/devices/device-registry');
  const { newDeviceSession } = await import('../apps/gateway/src/devices/device-session');
  const gc = (globalThis as { gc?: () => void }).gc!;
  const registry = new DeviceRegistry({ keepaliveIntervalMs: 60_000, maxMissed: 3 });
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const now = Date.now();
  for (let i = 0; i < DEVICES; i++) {
    const id = `3402000000132${String(i).padStart(7, '0')}`;
    const host = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    // Strings built per device, as parsing each device's own messages would (no sharing with other devices).
    const s = newDeviceSession(id, { transport: 'udp', remoteHost: host, remotePort: 5060 + (i % 1000), localHost: '10.0.0.1', localPort: 5060 });
    s.contactUri = `sip:${id}@${host}:${5060 + (i % 1000)}`;
    s.expires = 3600;
    s.registeredAt = now;
    s.registrationExpiresAt = now + 3_600_000;
    s.lastKeepaliveAt = now;
    s.online = true;
    s.manufacturer = ['Hikvision', 'Dahua', 'Uniview'][i % 3]! + '';
    s.model = `DS-2CD${2000 + (i % 1000)}`;
    s.firmware = `V5.${i % 10}.${i % 7}`;
    s.name = `IPC ${i}`;
    s.channelCount = 1 + (i % 4);
    s.catalogSyncedAt = now;
    registry.set(s);
  }
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  process.stdout.write(JSON.stringify({ perDevice: (after - before) / DEVICES, devices: registry.size }) + '\n');
}

if (require.main === module) {
  if (process.argv.includes('--measure')) void measure();
  else run().then((r) => console.log(JSON.stringify(r, null, 1)));
}
