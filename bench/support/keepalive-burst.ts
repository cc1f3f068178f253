// Child process of registrations.bench.ts: a keepalive burst from registered devices, paced open loop at KA_RATE per
// second, each keepalive from the SIP port its device registered from (issue #16: another port would have to
// authenticate). Each unanswered keepalive is retransmitted like a device's (RFC 3261 Timer E: T1, 2·T1, … capped at
// T2), so "retransmissions" counts the answers later than T1 = 500 ms. One node event loop drives 10,000/s where four
// sipp processes on one shared core fall behind and retransmit on their own account (their late reading of answers
// looked like the gateway's).
//
// Environment: KA_TARGET_PORT (gateway SIP port), KA_DEVICES (path of a JSON file {"<local port>": ["<device id>", …]}),
// KA_RATE (per second, default 10000), KA_TOTAL (default 30000). Prints one JSON line when done:
// {sent, answered, retransmissions, lateOverT1, lost, seconds, p50Ms, p99Ms, maxMs, statuses}.
import * as dgram from 'node:dgram';
import { readFileSync } from 'node:fs';

const HOST = '127.0.0.1';
const TARGET = Number(process.env.KA_TARGET_PORT);
const RATE = Number(process.env.KA_RATE ?? 10_000);
const TOTAL = Number(process.env.KA_TOTAL ?? 30_000);
const T1 = 500;
const T2 = 4000;
/** A keepalive unanswered this long after it was first sent counts as lost (64·T1, Timer F). */
const GIVE_UP_MS = 64 * T1;
const SERVER = '34020000002000000001';
const DOMAIN = '3402000000';

interface Pending {
  firstAt: number;
  nextAt: number;
  interval: number;
  bytes: Buffer;
  socket: dgram.Socket;
}

async function main(): Promise<void> {
  const byPort = JSON.parse(readFileSync(process.env.KA_DEVICES!, 'utf8')) as Record<string, string[]>;
  const senders: Array<{ socket: dgram.Socket; port: number; ids: string[] }> = [];
  const pending = new Map<number, Pending>();
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let retransmissions = 0;
  let late = 0;
  const onMessage = (m: Buffer) => {
    if (m.length < 12 || m[0] !== 0x53 || m[3] !== 0x2f) return; // "SIP/": responses only
    const st = (m[8]! - 48) * 100 + (m[9]! - 48) * 10 + (m[10]! - 48);
    if (st < 200) return;
    const id = /\r\nCall-ID:\s*ka-(\d+)@/i.exec(m.toString('latin1'));
    const p = id ? pending.get(Number(id[1])) : undefined;
    if (!p) return; // an answer to a retransmission of one already answered
    pending.delete(Number(id![1]));
    statuses.set(st, (statuses.get(st) ?? 0) + 1);
    const ms = performance.now() - p.firstAt;
    latencies.push(ms);
    if (ms > T1) late++;
  };
  for (const [port, ids] of Object.entries(byPort)) {
    const socket = dgram.createSocket('udp4');
    socket.on('message', onMessage);
    socket.on('error', () => undefined);
    await new Promise<void>((done) => socket.bind(Number(port), HOST, () => done()));
    senders.push({ socket, port: Number(port), ids });
  }
  const keepalive = (n: number, port: number, id: string) =>
    Buffer.from(
      `MESSAGE sip:${SERVER}@${DOMAIN} SIP/2.0\r\n` +
        `Via: SIP/2.0/UDP ${HOST}:${port};rport;branch=z9hG4bKka${n}\r\n` +
        `From: <sip:${id}@${DOMAIN}>;tag=ka${n}\r\n` +
        `To: <sip:${SERVER}@${DOMAIN}>\r\n` +
        `Call-ID: ka-${n}@${HOST}\r\n` +
        'CSeq: 20 MESSAGE\r\n' +
        'Content-Type: Application/MANSCDP+xml\r\n' +
        'Max-Forwards: 70\r\n' +
        'User-Agent: bench-keepalive\r\n',
      'latin1',
    );
  const body = (n: number, id: string) => `<?xml version="1.0" encoding="GB2312"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n<SN>${n % 1_000_000}</SN>\r\n<DeviceID>${id}</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n`;

  let sent = 0;
  const t0 = performance.now();
  let lost = 0;
  let lastScan = t0;
  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now();
      // Paced: as many as should have gone by now.
      const due = Math.min(TOTAL, Math.floor(((now - t0) / 1000) * RATE));
      while (sent < due) {
        const s = senders[sent % senders.length]!;
        const id = s.ids[Math.floor(sent / senders.length) % s.ids.length]!;
        const b = body(sent, id);
        const bytes = Buffer.concat([keepalive(sent, s.port, id), Buffer.from(`Content-Length: ${Buffer.byteLength(b)}\r\n\r\n${b}`, 'latin1')]);
        pending.set(sent, { firstAt: now, nextAt: now + T1, interval: T1, bytes, socket: s.socket });
        s.socket.send(bytes, TARGET, HOST);
        sent++;
      }
      // Retransmission timers checked every 20 ms (one pass over what is unanswered).
      if (now - lastScan < 20 && sent < TOTAL) return void setTimeout(tick, 1);
      lastScan = now;
      for (const [n, p] of pending) {
        if (now - p.firstAt > GIVE_UP_MS) {
          pending.delete(n);
          lost++;
        } else if (now >= p.nextAt) {
          p.interval = Math.min(2 * p.interval, T2);
          p.nextAt = now + p.interval;
          p.socket.send(p.bytes, TARGET, HOST);
          retransmissions++;
        }
      }
      if (sent >= TOTAL && pending.size === 0) return done();
      setTimeout(tick, 1);
    };
    tick();
  });
  const seconds = (performance.now() - t0) / 1000;
  for (const s of senders) s.socket.close();
  latencies.sort((a, b) => a - b);
  const q = (f: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor(f * latencies.length))] ?? NaN).toFixed(1));
  process.stdout.write(
    JSON.stringify({ sent, answered: latencies.length, retransmissions, lateOverT1: late, lost, seconds, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: q(1), statuses: Object.fromEntries(statuses) }) + '\n',
  );
}

main().catch((e: Error) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exitCode = 1;
});
