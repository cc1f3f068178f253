import { describe, it, expect, afterEach } from 'vitest';
import { parseVia, type SipRequest } from '@gb/gb28181';
import { FakePlatform, SERVER_ID, DOMAIN, DEVICE_ID, PASSWORD } from '../test/fake-platform';
import { SimulatedDevice } from './simulated-device';
import { buildChannels, type SimulatedDeviceOptions, type SimTransport } from './sim-options';

// Two fake platforms on loopback stand for two gateway nodes; the device has the second as its backup server.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function platform(transport: SimTransport): Promise<FakePlatform> {
  const p = new FakePlatform(transport);
  await p.listen();
  cleanups.push(() => p.close());
  return p;
}

function device(primary: FakePlatform, over: Partial<SimulatedDeviceOptions> = {}): SimulatedDevice {
  const d = new SimulatedDevice({
    deviceId: DEVICE_ID, serverHost: '127.0.0.1', serverPort: primary.port, serverId: SERVER_ID, domain: DOMAIN, password: PASSWORD,
    transport: primary.transport, localHost: '127.0.0.1', expires: 3600, keepaliveSeconds: 1, charset: 'GB2312', catalogPerMessage: 2,
    channels: buildChannels(DEVICE_ID, 0, 2), manufacturer: 'GBSIM', model: 'SIM', firmware: '1.0', name: '模拟设备1',
    t1Ms: 100, retryDelayMs: 0, ...over,
  });
  d.on('error', () => undefined);
  cleanups.push(() => d.stop({ unregister: false, timeoutMs: 300 }));
  return d;
}

const keepalives = (p: FakePlatform) => p.requests('MESSAGE').filter((r) => r.body.includes(Buffer.from('<CmdType>Keepalive</CmdType>')));
const branch = (r: SipRequest) => parseVia(r.headers.getAll('Via')[0]!).params['branch'];

describe('SimulatedDevice with fallbackServers over UDP', () => {
  it('when its server is killed, registers with the backup within 15 s from the same local port, and keepalives go there', async () => {
    const one = await platform('udp');
    const two = await platform('udp');
    const d = device(one, { fallbackServers: [{ host: '127.0.0.1', port: two.port }] });
    const changes: { host: string; port: number }[] = [];
    d.on('server-changed', (i) => changes.push({ host: i.host, port: i.port }));
    expect(await d.start()).toBe('registered');
    expect(d.currentServer).toEqual({ host: '127.0.0.1', port: one.port });
    await one.until('a keepalive answered by server 1', () => d.stats.keepalivesAnswered >= 1, 3000);
    const localPort = d.localPort;
    const firstCallId = one.requests('REGISTER')[0]!.headers.get('Call-ID');

    const killedAt = Date.now();
    await one.close(); // kill -9 over UDP: nothing ever answers again
    await two.until('registered with server 2', () => d.state === 'registered' && two.requests('REGISTER').length >= 2, 15_000);
    const movedMs = Date.now() - killedAt;
    // 3 keepalive intervals counted from the first unanswered one (not 3 × Timer F = 19 s).
    expect(movedMs).toBeLessThan(15_000);
    await two.until('2 keepalives at server 2', () => keepalives(two).length >= 2, 4000);

    expect(changes).toEqual([{ host: '127.0.0.1', port: two.port }]);
    expect(d.currentServer).toEqual({ host: '127.0.0.1', port: two.port });
    expect(d.stats.serverChanges).toBe(1);
    const regs = two.requests('REGISTER');
    // A fresh registration: no cached digest, new Call-ID, CSeq from 1; same socket.
    expect(regs[0]!.headers.get('Authorization')).toBeUndefined();
    expect(regs[0]!.headers.get('CSeq')).toBe('1 REGISTER');
    expect(regs[0]!.headers.get('Call-ID')).not.toBe(firstCallId);
    expect(parseVia(regs[0]!.headers.getAll('Via')[0]!).port).toBe(localPort);
    expect(d.localPort).toBe(localPort);
  }, 25_000);

  it('a primary that never answers REGISTER is left after serverTimeoutMs for the backup, once', async () => {
    const one = await platform('udp');
    const two = await platform('udp');
    one.silent = true;
    const d = device(one, { fallbackServers: [{ host: '127.0.0.1', port: two.port }], serverTimeoutMs: 400 });
    let changes = 0;
    d.on('server-changed', () => changes++);
    const registered = new Promise<void>((r) => d.once('registered', () => r()));
    expect(await d.start()).toBe('failed');
    await registered;
    expect(d.currentServer.port).toBe(two.port);
    expect(changes).toBe(1);
    // Timer E retransmissions of the one REGISTER went to the primary only.
    expect(new Set(one.requests('REGISTER').map(branch)).size).toBe(1);
  });

  it('with every address silent, goes round-robin one address per timeout, then pauses retryDelayMs before the next round', async () => {
    const one = await platform('udp');
    const two = await platform('udp');
    one.silent = two.silent = true;
    const d = device(one, { fallbackServers: [{ host: '127.0.0.1', port: two.port }], serverTimeoutMs: 200, retryDelayMs: 600 });
    const moves: { port: number; at: number }[] = [];
    d.on('server-changed', (i) => moves.push({ port: i.port, at: Date.now() }));
    const t0 = Date.now();
    await d.start();
    await one.until('back at the primary', () => moves.length >= 2, 4000);
    expect(moves.map((m) => m.port)).toEqual([two.port, one.port]);
    expect(moves[0]!.at - t0).toBeLessThan(600); // straight to the backup after 200 ms
    expect(moves[1]!.at - moves[0]!.at).toBeGreaterThanOrEqual(700); // 200 ms timeout + 600 ms pause
  });

  it('keepalives answered 404 (a server that forgot the device) re-register with the same server, not the backup', async () => {
    const one = await platform('udp');
    const two = await platform('udp');
    const d = device(one, { fallbackServers: [{ host: '127.0.0.1', port: two.port }] });
    let changes = 0;
    d.on('server-changed', () => changes++);
    await d.start();
    one.messageStatus = 404;
    await one.until('a new registration with server 1', () => one.requests('REGISTER').length >= 3 && d.state === 'registered' && d.stats.registered === 2, 8000);
    expect(changes).toBe(0);
    expect(d.currentServer.port).toBe(one.port);
    expect(two.received).toHaveLength(0);
  }, 12_000);
});

describe('SimulatedDevice without fallbackServers over UDP', () => {
  it('keeps retrying its only server when it stops answering, and never emits server-changed', async () => {
    const one = await platform('udp');
    const d = device(one, { serverTimeoutMs: 300, retryDelayMs: 300 });
    let changes = 0;
    d.on('server-changed', () => changes++);
    await d.start();
    const before = one.requests('REGISTER').length;
    one.silent = true;
    // 3 unanswered keepalives -> REGISTER (times out) -> 300 ms -> REGISTER again, all to the same address.
    await one.until('two more REGISTER transactions', () => new Set(one.requests('REGISTER').slice(before).map(branch)).size >= 2, 8000);
    expect(changes).toBe(0);
    expect(d.stats.serverChanges).toBe(0);
    expect(d.currentServer).toEqual({ host: '127.0.0.1', port: one.port });
    expect(d.state).not.toBe('registered');
  }, 12_000);
});

describe('SimulatedDevice with fallbackServers over TCP', () => {
  it('when its server is killed, connects to the backup and registers there', async () => {
    const one = await platform('tcp');
    const two = await platform('tcp');
    const d = device(one, { fallbackServers: [{ host: '127.0.0.1', port: two.port }] });
    const changes: number[] = [];
    d.on('server-changed', (i) => changes.push(i.port));
    expect(await d.start()).toBe('registered');
    await one.close();
    await two.until('registered with server 2', () => d.state === 'registered' && two.requests('REGISTER').length >= 2, 5000);
    await two.until('a keepalive at server 2', () => keepalives(two).length >= 1, 3000);
    expect(changes).toEqual([two.port]);
    expect(d.currentServer.port).toBe(two.port);
    expect(two.requests('REGISTER')[0]!.headers.get('Via')).toMatch(/^SIP\/2\.0\/TCP /);
  });
});
