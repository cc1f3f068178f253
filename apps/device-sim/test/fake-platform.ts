import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { createHash } from 'node:crypto';
import {
  createRequest,
  createResponse,
  parseSipMessage,
  serializeSipMessage,
  SipTcpFramer,
  type SipRequest,
  type SipResponse,
} from '@gb/gb28181';
import type { SimTransport } from '../src/sim-options';

// A tiny GB28181 platform for the simulator's unit tests: raw sockets, digest checked by hand.

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
export const SERVER_ID = '34020000002000000001';
export const DOMAIN = '3402000000';
export const DEVICE_ID = '34020000001320000001';
export const PASSWORD = '12345678';
export const NONCE = '9bd055b0a7e5b2a7';

/** Digest params of an Authorization value, parsed by hand (independent of the library). */
export function digestParams(v: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of v.replace(/^Digest\s+/i, '').matchAll(/([a-zA-Z]+)=(?:"([^"]*)"|([^,\s]+))/g)) out[m[1]!.toLowerCase()] = m[2] ?? m[3]!;
  return out;
}

/** RFC 2617 check, computed here with node:crypto so the test does not trust the code under test. */
export function digestOk(auth: string, password: string): boolean {
  const p = digestParams(auth);
  const ha1 = md5(`${p.username}:${p.realm}:${password}`);
  const ha2 = md5(`REGISTER:${p.uri}`);
  const expected = p.qop ? md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`) : md5(`${ha1}:${p.nonce}:${ha2}`);
  return expected === p.response;
}

export interface Received {
  req: SipRequest;
  at: number;
}

/** A tiny GB28181 platform on loopback: challenges REGISTER, checks digest by hand, answers MESSAGEs, sends queries. */
export class FakePlatform {
  readonly received: Received[] = [];
  readonly responses: SipResponse[] = [];
  /** REGISTERs to drop silently before answering (exercises Timer E). */
  dropRegisters = 0;
  /** Delay before answering a device's MESSAGE, ms. */
  messageDelayMs = 0;
  /** Final status for a device's MESSAGE (keepalives, answers). */
  messageStatus = 200;
  /** Records requests but answers none (a platform that hangs, or a dead one whose port is still bound). */
  silent = false;
  qop = true;
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private tcpConn?: net.Socket;
  private devicePort = 0;
  private closed = false;
  port = 0;
  private waiters: (() => void)[] = [];

  constructor(readonly transport: SimTransport = 'udp') {}

  async listen(): Promise<void> {
    if (this.transport === 'udp') {
      const s = dgram.createSocket('udp4');
      this.udp = s;
      await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
      this.port = s.address().port;
      s.on('message', (data, rinfo) => {
        this.devicePort = rinfo.port;
        this.onData(data, (b) => !this.closed && s.send(b, rinfo.port, rinfo.address));
      });
    } else {
      const server = net.createServer((c) => {
        this.tcpConn = c;
        const framer = new SipTcpFramer();
        c.on('data', (chunk) => framer.push(chunk).forEach((m) => this.onData(m, (b) => !this.closed && c.write(b))));
        c.on('error', () => undefined);
      });
      this.tcp = server;
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      this.port = (server.address() as net.AddressInfo).port;
    }
  }

  send(bytes: Buffer): void {
    if (this.closed) return;
    if (this.udp) this.udp.send(bytes, this.devicePort, '127.0.0.1');
    else this.tcpConn?.write(bytes);
  }

  private onData(data: Buffer, reply: (b: Buffer) => void): void {
    const msg = parseSipMessage(data);
    if (msg.type === 'response') {
      this.responses.push(msg);
    } else {
      this.received.push({ req: msg, at: Date.now() });
      this.handle(msg, reply);
    }
    this.waiters.splice(0).forEach((w) => w());
  }

  private handle(req: SipRequest, reply: (b: Buffer) => void): void {
    if (this.silent) return;
    if (req.method === 'REGISTER') {
      if (this.dropRegisters > 0) {
        this.dropRegisters--;
        return;
      }
      const auth = req.headers.get('Authorization');
      if (!auth) {
        const challenge = `Digest realm="${DOMAIN}", nonce="${NONCE}", algorithm=MD5${this.qop ? ', qop="auth"' : ''}`;
        reply(serializeSipMessage(createResponse(req, 401, undefined, { headers: [['WWW-Authenticate', challenge]] })));
        return;
      }
      const ok = digestOk(auth, PASSWORD);
      const expires = req.headers.get('Expires') ?? '3600';
      reply(serializeSipMessage(createResponse(req, ok ? 200 : 403, undefined, ok ? { headers: [['Expires', expires]] } : {})));
      return;
    }
    if (req.method === 'MESSAGE') {
      const answer = () => reply(serializeSipMessage(createResponse(req, this.messageStatus)));
      if (this.messageDelayMs > 0) setTimeout(answer, this.messageDelayMs);
      else answer();
    }
  }

  /** Sends a request to the device (out of dialog) and returns it. */
  sendRequest(method: string, body?: Buffer, callId = `q${Math.random().toString(36).slice(2)}@127.0.0.1`, cseq = 20, uri = `sip:${DEVICE_ID}@${DOMAIN}`): SipRequest {
    const req = createRequest({
      method,
      uri,
      via: { transport: this.transport, host: '127.0.0.1', port: this.port, branch: `z9hG4bK${callId.slice(0, 10)}${cseq}` },
      from: { uri: `sip:${SERVER_ID}@${DOMAIN}`, tag: 'plat1' },
      to: { uri: `sip:${DEVICE_ID}@${DOMAIN}` },
      callId,
      cseq,
      ...(body ? { body, contentType: 'Application/MANSCDP+xml' } : {}),
    });
    this.send(serializeSipMessage(req));
    return req;
  }

  requests(method: string): SipRequest[] {
    return this.received.filter((r) => r.req.method === method).map((r) => r.req);
  }

  async until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = fn();
      if (v) return v;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`fake platform: timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Idempotent: a test may kill the platform early and the cleanup close it again. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const udp = this.udp;
    const tcp = this.tcp;
    if (udp) await new Promise<void>((r) => udp.close(() => r()));
    this.tcpConn?.destroy();
    if (tcp) await new Promise<void>((r) => tcp.close(() => r()));
  }
}
