import * as dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { buildAuthorization } from '@gb/gb28181';
import { buildSipRequest, keepaliveBody, statusOf } from './raw-sip';

/**
 * A hand-driven GB28181 device on one UDP socket (one source port), for tests that need to control exactly which
 * bytes come from which port: register with digest, replay a captured Authorization, send a keepalive, see which
 * requests the gateway sends here. Requests from the gateway are answered (200, or `inviteStatus` for INVITE).
 */
export class RawUdpDevice {
  /** Requests the gateway sent to this socket (first lines and bodies, as text). */
  readonly received: string[] = [];
  /** The Authorization header of the last successful REGISTER (to replay it). */
  lastAuthorization?: string;
  private waiting?: { done: (m: Buffer | undefined) => void; timer: NodeJS.Timeout };
  private cseq = 1;
  private readonly callId = `${randomBytes(8).toString('hex')}@127.0.0.1`;

  private constructor(
    private readonly sock: dgram.Socket,
    readonly port: number,
    readonly gatewayPort: number,
    readonly deviceId: string,
    private readonly password: string,
    private readonly inviteStatus: number,
  ) {
    sock.on('message', (m) => this.onMessage(m));
  }

  static async open(o: { gatewayPort: number; deviceId: string; password: string; inviteStatus?: number }): Promise<RawUdpDevice> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((done, fail) => {
      sock.once('error', fail);
      sock.bind(0, '127.0.0.1', () => done());
    });
    return new RawUdpDevice(sock, sock.address().port, o.gatewayPort, o.deviceId, o.password, o.inviteStatus ?? 486);
  }

  /** Sends bytes and waits for the next response (undefined on silence). */
  exchange(bytes: Buffer, timeoutMs = 1000): Promise<Buffer | undefined> {
    return new Promise((done) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        done(undefined);
      }, timeoutMs);
      this.waiting = { done, timer };
      this.sock.send(bytes, this.gatewayPort, '127.0.0.1');
    });
  }

  /** A REGISTER from this device (with `authorization` if given). */
  registerBytes(authorization?: string, expires = 3600): Buffer {
    return buildSipRequest({
      method: 'REGISTER',
      fromUser: this.deviceId,
      toUser: this.deviceId,
      uri: 'sip:34020000002000000001@3402000000',
      viaPort: this.port,
      callId: this.callId,
      cseq: this.cseq++,
      extraHeaders: [
        ['Contact', `<sip:${this.deviceId}@127.0.0.1:${this.port}>`],
        ['Expires', String(expires)],
        ...(authorization ? ([['Authorization', authorization]] as [string, string][]) : []),
      ],
    });
  }

  /** REGISTER -> 401 -> REGISTER with a digest from `password` (default: the device's). Resolves with the final status. */
  async register(password = this.password): Promise<number | undefined> {
    const challenge = await this.exchange(this.registerBytes());
    if (statusOf(challenge) !== 401) return statusOf(challenge);
    const auth = this.answer(challenge!, password);
    const final = await this.exchange(this.registerBytes(auth));
    if (statusOf(final) === 200) this.lastAuthorization = auth;
    return statusOf(final);
  }

  /** The Authorization answering a 401 (no qop unless offered). */
  answer(challenge: Buffer, password = this.password, method = 'REGISTER'): string {
    const header = /\r\nWWW-Authenticate:\s*([^\r\n]+)/i.exec(challenge.toString('latin1'))?.[1];
    if (!header) throw new Error('401 without WWW-Authenticate');
    return buildAuthorization({ challenge: header, method, uri: 'sip:34020000002000000001@3402000000', username: this.deviceId, password, cnonce: randomBytes(4).toString('hex'), nc: 1 });
  }

  keepaliveBytes(sn = 1): Buffer {
    return buildSipRequest({ method: 'MESSAGE', fromUser: this.deviceId, viaPort: this.port, contentType: 'Application/MANSCDP+xml', body: keepaliveBody(this.deviceId, sn) });
  }

  close(): void {
    if (this.waiting) clearTimeout(this.waiting.timer);
    this.sock.close();
  }

  private onMessage(m: Buffer): void {
    const text = m.toString('latin1');
    if (text.startsWith('SIP/2.0 ')) {
      if (statusOf(m)! < 200) return;
      const w = this.waiting;
      if (w) {
        this.waiting = undefined;
        clearTimeout(w.timer);
        w.done(m);
      }
      return;
    }
    const method = text.slice(0, text.indexOf(' '));
    if (method === 'ACK') return;
    this.received.push(text);
    this.sock.send(responseTo(text, method === 'INVITE' ? this.inviteStatus : 200), this.gatewayPort, '127.0.0.1');
  }
}

/** A response echoing Via, From, To (tagged), Call-ID and CSeq of `request` (RFC 3261 §8.2.6.2). */
export function responseTo(request: string, status: number): Buffer {
  const head = request.slice(0, request.indexOf('\r\n\r\n'));
  const lines = head.split('\r\n').slice(1);
  const pick = (name: string) => lines.filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  const to = pick('To').map((l) => (/;tag=/i.test(l) ? l : `${l};tag=${randomBytes(4).toString('hex')}`));
  const reason = status === 200 ? 'OK' : status === 486 ? 'Busy Here' : 'Error';
  return Buffer.from([`SIP/2.0 ${status} ${reason}`, ...pick('Via'), ...pick('From'), ...to, ...pick('Call-ID'), ...pick('CSeq'), 'Content-Length: 0', '', ''].join('\r\n'), 'latin1');
}
