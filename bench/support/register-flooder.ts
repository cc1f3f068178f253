// Child process of sip-flood.bench.ts: floods a gateway with REGISTERs carrying wrong digest credentials from many
// UDP source ports, as fast as one event loop can send, and reports what it offered and what came back.
//
// Environment: FLOOD_PORT (gateway SIP port, required), FLOOD_HOST (default 127.0.0.1), FLOOD_SECONDS (default 30),
// FLOOD_SOCKETS (source ports, default 256). Prints JSON lines: {"phase":"flooding"} when the flood starts (after binding
// its sockets and fetching one challenge), one a second ({"t":…,"sent":…,"answered":…}), {"phase":"stopped"} when it
// stops sending, and, a second later, the report {"done":true,…,"statuses":{"403":…}}; then exits.
import * as dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';

const HOST = process.env.FLOOD_HOST ?? '127.0.0.1';
const PORT = Number(process.env.FLOOD_PORT);
const SECONDS = Number(process.env.FLOOD_SECONDS ?? 30);
const SOCKETS = Number(process.env.FLOOD_SOCKETS ?? 256);
/** Datagrams sent per turn of the event loop (answers are read between turns). */
const BATCH = 64;
/** A socket whose kernel-side queue holds more than this many datagrams is skipped for a turn (no unbounded buffering here). */
const MAX_QUEUED = 32;
const SERVER = '34020000002000000001';
const DOMAIN = '3402000000';
const URI = `sip:${SERVER}@${DOMAIN}`;

const statuses = new Map<number, number>();
let answered = 0;

function onMessage(m: Buffer): void {
  // "SIP/2.0 401 …": the status is bytes 8..10.
  if (m.length < 12 || m[0] !== 0x53 || m[3] !== 0x2f) return;
  const st = (m[8]! - 48) * 100 + (m[9]! - 48) * 10 + (m[10]! - 48);
  if (st < 200) return; // provisional answers are not final responses
  answered++;
  statuses.set(st, (statuses.get(st) ?? 0) + 1);
}

async function openSocket(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  s.on('message', onMessage);
  s.on('error', () => undefined); // ICMP port unreachable after the gateway stops, ENOBUFS: counted by their absence
  await new Promise<void>((done) => s.bind(0, HOST, () => done()));
  return s;
}

/** The realm and nonce of one honest challenge, so the flood's digests are well formed and only wrong. */
async function challenge(s: dgram.Socket): Promise<{ realm: string; nonce: string }> {
  const port = s.address().port;
  const id = '34020000001329999999';
  const req = registerText(id, port, 0, '');
  for (let attempt = 0; attempt < 10; attempt++) {
    const got = new Promise<Buffer | undefined>((done) => {
      const t = setTimeout(() => done(undefined), 1000);
      s.once('message', (m: Buffer) => {
        clearTimeout(t);
        done(m);
      });
    });
    s.send(req, PORT, HOST);
    const m = await got;
    const header = m && /\r\nWWW-Authenticate:\s*([^\r\n]+)/i.exec(m.toString('latin1'))?.[1];
    if (header) {
      return { realm: /realm="([^"]*)"/.exec(header)?.[1] ?? DOMAIN, nonce: /nonce="([^"]*)"/.exec(header)?.[1] ?? 'x' };
    }
  }
  throw new Error('no 401 challenge from the gateway');
}

function registerText(id: string, port: number, n: number, authorization: string): string {
  const tag = n.toString(36);
  return (
    `REGISTER ${URI} SIP/2.0\r\n` +
    `Via: SIP/2.0/UDP ${HOST}:${port};rport;branch=z9hG4bKfl${tag}\r\n` +
    `From: <sip:${id}@${DOMAIN}>;tag=f${tag}\r\n` +
    `To: <sip:${id}@${DOMAIN}>\r\n` +
    `Call-ID: flood${tag}@${HOST}\r\n` +
    'CSeq: 1 REGISTER\r\n' +
    'Max-Forwards: 70\r\n' +
    `Contact: <sip:${id}@${HOST}:${port}>\r\n` +
    'Expires: 3600\r\n' +
    (authorization ? `Authorization: ${authorization}\r\n` : '') +
    'Content-Length: 0\r\n\r\n'
  );
}

async function main(): Promise<void> {
  if (!PORT) throw new Error('FLOOD_PORT is required');
  const socks: dgram.Socket[] = [];
  for (let i = 0; i < SOCKETS; i++) socks.push(await openSocket());
  const ports = socks.map((s) => s.address().port);
  const { realm, nonce } = await challenge(socks[0]!);
  answered = 0;
  statuses.clear();
  // A well-formed digest with a wrong response, under a new device ID each time (no per-ID ban can stop the flood).
  const wrongResponse = randomBytes(16).toString('hex');
  const auth = (id: string) => `Digest username="${id}", realm="${realm}", nonce="${nonce}", uri="${URI}", response="${wrongResponse}", algorithm=MD5`;

  let sent = 0;
  let skipped = 0;
  let cursor = 0;
  process.stdout.write(JSON.stringify({ phase: 'flooding' }) + '\n');
  const t0 = performance.now();
  const until = t0 + SECONDS * 1000;
  let nextReport = t0 + 1000;
  while (performance.now() < until) {
    for (let k = 0; k < BATCH; k++) {
      const i = cursor++ % SOCKETS;
      const s = socks[i]!;
      if (s.getSendQueueCount() > MAX_QUEUED) {
        skipped++;
        continue;
      }
      const id = `3402000000132${String(sent % 10_000_000).padStart(7, '0')}`;
      s.send(registerText(id, ports[i]!, sent, auth(id)), PORT, HOST);
      sent++;
    }
    await new Promise((r) => setImmediate(r));
    const now = performance.now();
    if (now >= nextReport) {
      nextReport += 1000;
      process.stdout.write(JSON.stringify({ t: (now - t0) / 1000, sent, answered }) + '\n');
    }
  }
  const floodS = (performance.now() - t0) / 1000;
  const answeredDuringFlood = answered;
  process.stdout.write(JSON.stringify({ phase: 'stopped', sent, answered }) + '\n');
  await new Promise((r) => setTimeout(r, 1000)); // answers still in flight
  for (const s of socks) s.close();
  process.stdout.write(
    JSON.stringify({ done: true, seconds: floodS, sockets: SOCKETS, sent, answeredDuringFlood, answered, skipped, statuses: Object.fromEntries(statuses) }) + '\n',
  );
}

main().catch((e: Error) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exitCode = 1;
});
