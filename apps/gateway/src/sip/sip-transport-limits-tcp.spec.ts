import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createResponse } from '@gb/gb28181';
import { SipTransport, type SipTransportOptions } from './sip-transport';

/**
 * TCP lock-out bounds of SipTransport, with real sockets on loopback. The attacker connects from 127.0.0.1 (and
 * 127.0.0.10+), the device from 127.0.0.2: Linux routes all of 127.0.0.0/8 to lo, so each is its own source address.
 * fd limit where this was written: `ulimit -n` = 20000 (the 10,000-attempt flood holds at most ~600 client sockets
 * at once: batches of 500 plus the 100 admitted).
 */

const DEVICE = '34020000001320000001';

const DEFAULTS: Omit<SipTransportOptions, 'host' | 'port'> = {
  maxMessageBytes: 65536,
  tcpFirstMessageTimeoutMs: 60_000,
  tcpMessageTimeoutMs: 60_000,
  tcpIdleTimeoutMs: 300_000,
  maxTcpConnections: 10_000,
  maxTcpConnectionsPerHost: 100,
  tcpAcceptRatePerHost: 20,
  tcpReservedPercent: 20,
};

let transports: SipTransport[] = [];
let sockets: net.Socket[] = [];

afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets = [];
  await Promise.all(transports.map((t) => t.close()));
  transports = [];
});

/** A transport on 127.0.0.1 that answers every REGISTER 200, like a registrar without auth. */
async function startTransport(overrides: Partial<SipTransportOptions> = {}): Promise<SipTransport> {
  const t = new SipTransport({ host: '127.0.0.1', port: 0, ...DEFAULTS, ...overrides });
  t.on('message', (msg, flow) => {
    if (msg.type === 'request' && msg.method === 'REGISTER') t.send(createResponse(msg, 200), flow);
  });
  await t.listen();
  transports.push(t);
  return t;
}

function register(localAddress: string, cseq = 1): Buffer {
  const body = '';
  return Buffer.from(
    [
      `REGISTER sip:34020000002000000001@3402000000 SIP/2.0`,
      `Via: SIP/2.0/TCP ${localAddress}:5060;rport;branch=z9hG4bK-${cseq}-${Math.random().toString(36).slice(2)}`,
      `From: <sip:${DEVICE}@3402000000>;tag=t${cseq}`,
      `To: <sip:${DEVICE}@3402000000>`,
      `Call-ID: reg-${localAddress}-${cseq}`,
      `CSeq: ${cseq} REGISTER`,
      `Contact: <sip:${DEVICE}@${localAddress}:5060;transport=tcp>`,
      `Max-Forwards: 70`,
      `Expires: 3600`,
      `Content-Length: ${body.length}`,
      '',
      body,
    ].join('\r\n'),
    'latin1',
  );
}

/** Connects from `localAddress`; resolves with the socket once connected, or undefined when refused or reset. */
function connectFrom(localAddress: string, port: number): Promise<net.Socket | undefined> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress });
    s.on('error', () => resolve(undefined));
    s.on('close', () => resolve(undefined));
    s.on('connect', () => {
      sockets.push(s);
      resolve(s);
    });
  });
}

/** Sends a REGISTER on a new connection from `localAddress`; resolves with the status line, or undefined. */
async function registerFrom(localAddress: string, port: number, timeoutMs = 3000): Promise<string | undefined> {
  const s = await connectFrom(localAddress, port);
  if (!s) return undefined;
  return new Promise((resolve) => {
    let data = '';
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    s.on('data', (b: Buffer) => {
      data += b.toString('latin1');
      const line = data.split('\r\n')[0];
      if (data.includes('\r\n')) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    s.write(register(localAddress));
  });
}

/** Milliseconds until the peer closes `s` (rejects after `limitMs`). */
function closedAfter(s: net.Socket, since: number, limitMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still open after ${limitMs} ms`)), limitMs);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - since);
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SipTransport TCP admission', () => {
  it('10,000 connections from one address stop at SIP_TCP_MAX_CONNECTIONS_PER_HOST; a device from another address still registers', async () => {
    const t = await startTransport();
    let admitted = 0;
    for (let batch = 0; batch < 20; batch++) {
      const results = await Promise.all(Array.from({ length: 500 }, () => connectFrom('127.0.0.1', t.port)));
      admitted += results.filter(Boolean).length;
    }
    await sleep(100);
    // Each attempt costs the attacker a whole TCP handshake; all but the per-host cap are reset at once.
    expect(t.openTcpConnections).toBe(100);
    expect(t.stats.tcpRefused).toBe(10_000 - 100);
    expect(admitted).toBeGreaterThanOrEqual(100);

    // Not queued behind the flood: answered well inside the SIP transaction's 32 s (quiet box ~20 ms; 5 s leaves room
    // for a loaded CI machine, where the whole flood took over 60 s once).
    const started = Date.now();
    expect(await registerFrom('127.0.0.2', t.port)).toBe('SIP/2.0 200 OK');
    expect(Date.now() - started).toBeLessThan(5000);
  }, 180_000);

  it('past SIP_TCP_ACCEPT_RATE_PER_HOST new connections from that address are reset; other addresses are not affected', async () => {
    const t = await startTransport({ maxTcpConnectionsPerHost: 10, tcpAcceptRatePerHost: 5 });
    // Burst of 10 (= the per-host cap), each closed at once by the client: the bucket, not the open count, refuses.
    for (let i = 0; i < 10; i++) (await connectFrom('127.0.0.1', t.port))?.destroy();
    await sleep(50);
    const over = await connectFrom('127.0.0.1', t.port);
    if (over) await closedAfter(over, Date.now(), 1000);
    expect(t.stats.tcpRefused).toBe(1);
    expect(await registerFrom('127.0.0.2', t.port)).toBe('SIP/2.0 200 OK');
  });

  it('with the overall cap full of silent connections from many addresses, a known device gets the reserved share and a newcomer replaces the oldest silent connection', async () => {
    // 40 connections, 25 % (10) reserved for addresses that sent a valid message: newcomers share 30.
    const t = await startTransport({ maxTcpConnections: 40, maxTcpConnectionsPerHost: 5, tcpReservedPercent: 25 });
    expect(await registerFrom('127.0.0.2', t.port)).toBe('SIP/2.0 200 OK');
    for (const s of sockets) s.destroy();
    await sleep(50);

    const attackers: net.Socket[] = [];
    for (let host = 10; host < 18; host++) {
      for (let i = 0; i < 5; i++) {
        const s = await connectFrom(`127.0.0.${host}`, t.port);
        if (s) attackers.push(s);
      }
    }
    await sleep(100);
    expect(t.openTcpConnections).toBe(30);
    expect(t.stats.tcpEvicted).toBe(10);

    expect(await registerFrom('127.0.0.2', t.port)).toBe('SIP/2.0 200 OK');
    expect(await registerFrom('127.0.0.3', t.port)).toBe('SIP/2.0 200 OK');
    await sleep(50);
    expect(t.openTcpConnections).toBe(31);
  });
});

describe('SipTransport TCP time bounds', () => {
  it('a connection that never sends is closed at SIP_TCP_FIRST_MESSAGE_TIMEOUT_MS', async () => {
    const t = await startTransport({ tcpFirstMessageTimeoutMs: 400 });
    const s = (await connectFrom('127.0.0.1', t.port))!;
    const ms = await closedAfter(s, Date.now(), 3000);
    expect(ms).toBeGreaterThanOrEqual(350);
    expect(ms).toBeLessThan(400 + 500);
  });

  it('a first message trickled 1 byte every 50 ms is closed at SIP_TCP_FIRST_MESSAGE_TIMEOUT_MS, however steady the trickle', async () => {
    const t = await startTransport({ tcpFirstMessageTimeoutMs: 500 });
    const s = (await connectFrom('127.0.0.1', t.port))!;
    const bytes = register('127.0.0.1');
    const since = Date.now();
    let i = 0;
    const trickle = setInterval(() => !s.destroyed && i < bytes.length - 1 && s.write(bytes.subarray(i, ++i)), 50);
    try {
      const ms = await closedAfter(s, since, 3000);
      expect(ms).toBeGreaterThanOrEqual(450);
      expect(ms).toBeLessThan(500 + 500);
    } finally {
      clearInterval(trickle);
    }
  });

  it('after a valid message, a second message trickled 1 byte every 50 ms is closed at SIP_TCP_MESSAGE_TIMEOUT_MS from its first byte', async () => {
    const t = await startTransport({ tcpMessageTimeoutMs: 600 });
    const s = (await connectFrom('127.0.0.2', t.port))!;
    const answered = new Promise<void>((r) => s.once('data', () => r()));
    s.write(register('127.0.0.2', 1));
    await answered;
    const bytes = register('127.0.0.2', 2);
    const since = Date.now();
    let i = 0;
    const trickle = setInterval(() => !s.destroyed && i < bytes.length - 1 && s.write(bytes.subarray(i, ++i)), 50);
    try {
      const ms = await closedAfter(s, since, 3000);
      expect(ms).toBeGreaterThanOrEqual(550);
      expect(ms).toBeLessThan(600 + 500);
    } finally {
      clearInterval(trickle);
    }
  });

  it('a registered connection stays open between messages until SIP_TCP_IDLE_TIMEOUT_MS of silence', async () => {
    const t = await startTransport({ tcpFirstMessageTimeoutMs: 200, tcpMessageTimeoutMs: 200, tcpIdleTimeoutMs: 800 });
    const s = (await connectFrom('127.0.0.2', t.port))!;
    const answered = new Promise<void>((r) => s.once('data', () => r()));
    s.write(register('127.0.0.2', 1));
    await answered;
    const since = Date.now();
    const ms = await closedAfter(s, since, 3000);
    // Past the first-message and message bounds (200 ms): only the idle bound closes it.
    expect(ms).toBeGreaterThanOrEqual(700);
    expect(ms).toBeLessThan(800 + 500);
  });
});
