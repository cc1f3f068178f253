import { describe, expect, it, afterEach } from 'vitest';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { readdirSync } from 'node:fs';
import { GatewayError } from '../common/gateway-error';
import { PortPool, RTP_PORT_QUARANTINE_MS, openOnFreePort } from './port-pool';
import { RtpBindError, RtpReceiver, type MediaTransport } from './rtp-receiver';

/** Open file descriptors of this process (the leak the bind-failure path used to have). */
function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Sockets of other programs in the test: each holds one port (UDP socket or TCP listener) on 127.0.0.1. */
const blockers: (dgram.Socket | net.Server)[] = [];
afterEach(async () => {
  await Promise.all(blockers.splice(0).map((b) => new Promise<void>((done) => (b instanceof net.Server ? b.close(() => done()) : b.close(() => done())))));
});

function occupy(kind: 'udp' | 'tcp', port: number): Promise<boolean> {
  return new Promise((done) => {
    if (kind === 'udp') {
      const s = dgram.createSocket('udp4');
      s.once('error', () => {
        s.close();
        done(false);
      });
      s.bind(port, '127.0.0.1', () => {
        blockers.push(s);
        done(true);
      });
    } else {
      const s = net.createServer();
      s.once('error', () => done(false));
      s.listen(port, '127.0.0.1', () => {
        blockers.push(s);
        done(true);
      });
    }
  });
}

/**
 * A pool of `size` even ports below the kernel's ephemeral range whose ports in `occupied` (indexes) are held by our
 * blocker sockets and the others free now. Tries random ranges until one fits (other tests run in parallel).
 */
async function poolWith(kind: 'udp' | 'tcp', size: number, occupied: number[]): Promise<{ pool: PortPool; ports: number[] }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const min = 20000 + 2 * Math.floor(Math.random() * 5000);
    const ports = Array.from({ length: size }, (_, i) => min + 2 * i);
    const held = blockers.length;
    let ok = true;
    for (const [i, p] of ports.entries()) {
      if (occupied.includes(i)) ok = (await occupy(kind, p)) && ok;
      else ok = (await isFree(kind, p)) && ok;
    }
    if (ok) return { pool: new PortPool(min, min + 2 * size - 1), ports };
    for (const b of blockers.splice(held)) b.close();
  }
  throw new Error('no range of free test ports found');
}

async function isFree(kind: 'udp' | 'tcp', port: number): Promise<boolean> {
  const held = blockers.length;
  const ok = await occupy(kind, port);
  for (const b of blockers.splice(held)) await new Promise<void>((done) => (b instanceof net.Server ? b.close(() => done()) : b.close(() => done())));
  return ok;
}

const opened: RtpReceiver[] = [];
afterEach(() => {
  for (const r of opened.splice(0)) r.close();
});

function openReceiver(transport: MediaTransport) {
  return async (port: number): Promise<RtpReceiver> => {
    const r = new RtpReceiver({ transport, bindHost: '127.0.0.1', port, ssrc: null });
    await r.open();
    opened.push(r);
    return r;
  };
}

describe('PortPool', () => {
  it('take() hands out even ports, least recently released last, and throws PORTS_EXHAUSTED when none is free', () => {
    const pool = new PortPool(30001, 30006);
    expect([pool.take(), pool.take()]).toEqual([30002, 30004]);
    pool.release(30002);
    expect(pool.take()).toBe(30006);
    expect(pool.take()).toBe(30002);
    expect(() => pool.take()).toThrow(expect.objectContaining({ code: 'PORTS_EXHAUSTED' }));
    expect(pool.stats()).toEqual({ total: 3, inUse: 3, quarantined: 0, free: 0 });
  });

  it('release() of a port twice or of a port never taken changes nothing', () => {
    const pool = new PortPool(30000, 30003);
    const p = pool.take();
    pool.release(p);
    pool.release(p);
    pool.release(31000);
    expect(pool.stats()).toEqual({ total: 2, inUse: 0, quarantined: 0, free: 2 });
  });

  it('quarantine() holds a port back for the named bound, then take() hands it out again', () => {
    let now = 1_000;
    const pool = new PortPool(30000, 30001, { now: () => now });
    const p = pool.take();
    pool.quarantine(p);
    expect(pool.stats()).toEqual({ total: 1, inUse: 0, quarantined: 1, free: 0 });
    expect(() => pool.take()).toThrow(GatewayError);
    now += RTP_PORT_QUARANTINE_MS - 1;
    expect(pool.available).toBe(0);
    now += 1;
    expect(pool.take()).toBe(p);
    expect(pool.stats()).toEqual({ total: 1, inUse: 1, quarantined: 0, free: 0 });
  });
});

describe('openOnFreePort() with real sockets', () => {
  it('every UDP port of the pool held by another socket: PORTS_EXHAUSTED, all ports quarantined, no descriptor left open', async () => {
    const { pool } = await poolWith('udp', 6, [0, 1, 2, 3, 4, 5]);
    const before = openFds();
    const err = await openOnFreePort(pool, openReceiver('udp'), 20).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('PORTS_EXHAUSTED');
    expect((err as GatewayError).message).toMatch(/EADDRINUSE/);
    expect(pool.stats()).toMatchObject({ inUse: 0, quarantined: 6, free: 0 });
    expect(openFds()).toBe(before);
  });

  it('more bind failures than maxAttempts: PORTS_EXHAUSTED after maxAttempts binds, the rest of the pool untouched', async () => {
    const { pool } = await poolWith('udp', 4, [0, 1, 2, 3]);
    const err = await openOnFreePort(pool, openReceiver('udp'), 2).catch((e: unknown) => e);
    expect((err as GatewayError).code).toBe('PORTS_EXHAUSTED');
    expect(pool.stats()).toMatchObject({ inUse: 0, quarantined: 2, free: 2 });
  });

  it('some UDP ports held by other sockets: skips them, binds the first free one, the held ones quarantined', async () => {
    const { pool, ports } = await poolWith('udp', 4, [0, 1]);
    const before = openFds();
    const { port, value: receiver } = await openOnFreePort(pool, openReceiver('udp'));
    expect(port).toBe(ports[2]);
    expect(receiver.port).toBe(ports[2]);
    expect(pool.stats()).toMatchObject({ inUse: 1, quarantined: 2, free: 1 });
    expect(openFds()).toBe(before + 1); // the receiver's own socket, nothing else
    receiver.close();
    pool.release(port);
    expect(openFds()).toBe(before);
  });

  it('TCP passive listeners: a held port is skipped and its failed listener closed; all held -> PORTS_EXHAUSTED at the baseline', async () => {
    const some = await poolWith('tcp', 3, [0]);
    const before = openFds();
    const { port, value: receiver } = await openOnFreePort(some.pool, openReceiver('tcp-passive'));
    expect(port).toBe(some.ports[1]);
    receiver.close();
    expect(openFds()).toBe(before);
    expect(some.pool.stats()).toMatchObject({ inUse: 1, quarantined: 1 });

    const all = await poolWith('tcp', 3, [0, 1, 2]);
    const baseline = openFds();
    const err = await openOnFreePort(all.pool, openReceiver('tcp-passive')).catch((e: unknown) => e);
    expect((err as GatewayError).code).toBe('PORTS_EXHAUSTED');
    expect(openFds()).toBe(baseline);
  });

  it('RtpReceiver.open() on a held port rejects with RtpBindError carrying the port and EADDRINUSE, and close() after it is harmless', async () => {
    const { ports } = await poolWith('udp', 1, [0]);
    const before = openFds();
    const r = new RtpReceiver({ transport: 'udp', bindHost: '127.0.0.1', port: ports[0]!, ssrc: null });
    const err = await r.open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RtpBindError);
    expect(err).toMatchObject({ code: 'EADDRINUSE', port: ports[0], transport: 'udp' });
    r.close();
    r.close();
    expect(openFds()).toBe(before);
  });

  it('an error other than a bind refusal is rethrown as is and the port released, not quarantined', async () => {
    const pool = new PortPool(30000, 30003);
    const boom = new Error('not a bind error');
    await expect(openOnFreePort(pool, () => Promise.reject(boom))).rejects.toBe(boom);
    expect(pool.stats()).toEqual({ total: 2, inUse: 0, quarantined: 0, free: 2 });
  });
});
