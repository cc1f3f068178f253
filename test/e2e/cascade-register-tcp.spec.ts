import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDigestChallenge, createResponse, parseDigestParams, parseSipMessage, serializeSipMessage, SipTcpFramer, type SipRequest } from '@gb/gb28181';
import { startTestGateway, waitFor, type TestGateway } from '../support/gateway-harness';

/**
 * A superior platform played by a raw TCP listener (RFC 3261 §18.3 Content-Length framing) (GB/T 28181-2016 §9.1 as a platform answers a lower one): 401 with
 * a digest challenge, the digest checked here by hand (HA1/HA2/response of Annex J.1), 200 with Expires, 200 to
 * every keepalive. The gateway registers with it through POST /api/platforms.
 */
const SERVER_ID = '34020000002000000002';
const DOMAIN = '3402000000';
const GATEWAY_ID = '34020000002000000001';
const PASSWORD = 'cascade-pass-1';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

interface Seen {
  req: SipRequest;
  at: number;
  /** REGISTER: what we answered. */
  status?: number;
}

class TcpSuperior {
  readonly seen: Seen[] = [];
  /** Connections the gateway opened to us. */
  connections = 0;
  private readonly server = net.createServer((sock) => this.onConnection(sock));
  private readonly sockets = new Set<net.Socket>();
  private readonly nonce = randomBytes(8).toString('hex');

  async start(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  registers(): Seen[] {
    return this.seen.filter((s) => s.req.method === 'REGISTER');
  }

  keepalives(): Seen[] {
    return this.seen.filter((s) => s.req.method === 'MESSAGE' && /<CmdType>Keepalive<\/CmdType>/.test(s.req.body.toString('latin1')));
  }

  private onConnection(sock: net.Socket): void {
    this.connections++;
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => undefined);
    const framer = new SipTcpFramer();
    sock.on('data', (chunk) => {
      for (const bytes of framer.push(chunk)) this.onMessage(bytes, sock);
    });
  }

  private onMessage(buf: Buffer, sock: net.Socket): void {
    const msg = parseSipMessage(buf);
    if (msg.type !== 'request') return;
    const seen: Seen = { req: msg, at: Date.now() };
    this.seen.push(seen);
    let res;
    if (msg.method === 'REGISTER') {
      const auth = msg.headers.get('Authorization');
      if (!auth) {
        res = createResponse(msg, 401, 'Unauthorized', { headers: [['WWW-Authenticate', createDigestChallenge({ realm: DOMAIN, nonce: this.nonce, qop: 'auth' })]] });
      } else {
        const p = parseDigestParams(auth);
        // Annex J.1 with qop=auth: response = MD5(HA1:nonce:nc:cnonce:qop:HA2).
        const ha1 = md5(`${p.username}:${DOMAIN}:${PASSWORD}`);
        const expected = md5(`${ha1}:${this.nonce}:${p.nc}:${p.cnonce}:auth:${md5(`REGISTER:${p.uri}`)}`);
        const good = p.username === GATEWAY_ID && p.qop === 'auth' && p.uri === `sip:${SERVER_ID}@${DOMAIN}` && p.response === expected;
        res = good ? createResponse(msg, 200, 'OK', { headers: [['Expires', msg.headers.get('Expires') ?? '3600']] }) : createResponse(msg, 403, 'Forbidden');
      }
      seen.status = res.status;
    } else {
      res = createResponse(msg, 200, 'OK');
    }
    sock.write(serializeSipMessage(res));
  }
}

interface Platform {
  id: string;
  state: string;
  cause: string | null;
  lastKeepaliveAt: string | null;
}

describe('cascade: the gateway registers with a superior platform over TCP', () => {
  let gw: TestGateway;
  let superior: TcpSuperior;

  beforeAll(async () => {
    gw = await startTestGateway({ SIP_ID: GATEWAY_ID, SIP_DOMAIN: DOMAIN });
    superior = new TcpSuperior();
  });
  afterAll(async () => {
    await gw?.stop();
    await superior?.close();
  });

  const platform = async (id: string) => (await gw.api<Platform>(`/api/platforms/${id}`)).body;

  it('opens one connection to the superior: REGISTER over TCP, 401 qop=auth answered, 200, keepalives and the refresh on it; disable sends Expires: 0', async () => {
    const port = await superior.start();
    const created = await gw.api<Platform>('/api/platforms', {
      method: 'POST',
      body: JSON.stringify({ name: 'centre', serverId: SERVER_ID, domain: DOMAIN, host: '127.0.0.1', port, transport: 'tcp', password: PASSWORD, expiresS: 3, keepaliveS: 1 }),
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    await waitFor('online', async () => (await platform(id)).state === 'online', 5_000);
    expect(superior.registers().map((r) => r.status)).toEqual([401, 200]);
    expect(superior.registers()[0]!.req.headers.get('Via')).toMatch(/^SIP\/2\.0\/TCP /);
    await waitFor('a keepalive and a refresh', () => superior.keepalives().length >= 1 && superior.registers().length >= 3, 5_000);
    expect(superior.registers()[2]!.status).toBe(200);
    expect(superior.connections).toBe(1);

    const before = superior.registers().length;
    expect((await gw.api(`/api/platforms/${id}`, { method: 'PATCH', body: JSON.stringify({ enabled: false }) })).status).toBe(200);
    expect(superior.registers().slice(before).map((r) => [r.req.headers.get('Expires'), r.status])).toEqual([['0', 200]]);
  });
});
