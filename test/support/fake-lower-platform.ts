import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import * as iconv from 'iconv-lite';
import {
  buildAuthorization,
  createRequest,
  createResponse,
  newBranch,
  newTag,
  parseNameAddr,
  parseSipMessage,
  serializeSipMessage,
  type SipRequest,
  type SipResponse,
} from '@gb/gb28181';

/**
 * A lower platform (GB/T 28181-2016 §5.1: a platform, ID type 200, registering with this gateway the way a device
 * does) played by one raw UDP socket, for the e2e spec of issue 11 item 6. It:
 *
 * - registers with digest (REGISTER → 401 → REGISTER with Authorization → 200), and sends keepalives when asked;
 * - answers the gateway's Catalog query with `catalog` (hand-written item XML), encoded in GB2312 and split into
 *   packets of `perPacket` items sent in `packetOrder`, each after the 200 to the previous one (§9.5.2);
 * - answers DeviceInfo, and RecordInfo with one recording of the asked channel over the asked span; answers SUBSCRIBE
 *   200 (keeping the dialog) and INVITE with `inviteStatus`; every other request 200;
 * - sends NOTIFYs in the subscription dialog (`notify()`) or any bytes (`sendRaw()`).
 *
 * Everything it receives is kept in `seen`. The XML is written here by hand, not by the gateway's encoder.
 */
export interface FakeLowerPlatformOptions {
  id: string;
  password: string;
  gatewayPort: number;
  gatewayId?: string;
  domain?: string;
  /** Catalog `<Item>` elements, as XML text (Chinese allowed: the body is encoded in GB2312). */
  catalog: string[];
  perPacket?: number;
  /** Order in which the catalog packets go out (indexes); default in order. */
  packetOrder?: number[];
  inviteStatus?: number;
}

export interface SeenRequest {
  req: SipRequest;
  at: number;
}

const REQUEST_TIMEOUT_MS = 4_000;

export class FakeLowerPlatform {
  readonly seen: SeenRequest[] = [];
  port = 0;
  /** The gateway's SUBSCRIBE (the last one) and the To tag our 200 gave it: the NOTIFY dialog. */
  subscription?: { req: SipRequest; localTag: string; cseq: number };
  private readonly sock = dgram.createSocket('udp4');
  private readonly pending = new Map<string, (res: SipResponse) => void>();
  private readonly domain: string;
  private readonly gatewayId: string;
  private readonly registerCallId = `${randomBytes(8).toString('hex')}@127.0.0.1`;
  private cseq = 1;
  private sn = 1;

  constructor(private readonly o: FakeLowerPlatformOptions) {
    this.domain = o.domain ?? '3402000000';
    this.gatewayId = o.gatewayId ?? '34020000002000000001';
    this.sock.on('message', (buf) => this.onBytes(buf));
  }

  async start(): Promise<number> {
    await new Promise<void>((r) => this.sock.bind(0, '127.0.0.1', r));
    this.port = this.sock.address().port;
    return this.port;
  }

  close(): Promise<void> {
    return new Promise((r) => {
      try {
        this.sock.close(() => r());
      } catch {
        r();
      }
    });
  }

  /** The requests of one method received so far. */
  received(method: string): SipRequest[] {
    return this.seen.filter((s) => s.req.method === method).map((s) => s.req);
  }

  /** REGISTER → 401 → REGISTER with the digest → the final status. */
  async register(expires = 3600): Promise<number> {
    const first = await this.request(this.outOfDialog('REGISTER', `sip:${this.gatewayId}@${this.domain}`, this.o.id, [['Expires', String(expires)]], undefined, this.registerCallId));
    if (first.status !== 401) return first.status;
    const authorization = buildAuthorization({
      challenge: first.headers.get('WWW-Authenticate') ?? '',
      method: 'REGISTER',
      uri: `sip:${this.gatewayId}@${this.domain}`,
      username: this.o.id,
      password: this.o.password,
      cnonce: randomBytes(4).toString('hex'),
      nc: 1,
    });
    const second = await this.request(this.outOfDialog('REGISTER', `sip:${this.gatewayId}@${this.domain}`, this.o.id, [['Expires', String(expires)], ['Authorization', authorization]], undefined, this.registerCallId));
    return second.status;
  }

  /** A MANSCDP MESSAGE to the gateway (GB2312); resolves with the final response. */
  message(xml: string): Promise<SipResponse> {
    return this.request(this.outOfDialog('MESSAGE', `sip:${this.gatewayId}@${this.domain}`, this.o.id, [], gb2312(xml)));
  }

  /**
   * A NOTIFY in the subscription dialog (RFC 6665 §4.2.2: Call-ID and tags of the SUBSCRIBE, Request-URI = its Contact)
   * with a Catalog Notify body listing `items` (XML text); resolves with the final response.
   */
  notify(items: string[], o: { state?: string; event?: string; body?: Buffer } = {}): Promise<SipResponse> {
    const sub = this.subscription;
    if (!sub) throw new Error('no SUBSCRIBE received yet');
    const from = parseNameAddr(sub.req.headers.get('From')!);
    const contact = parseNameAddr(sub.req.headers.get('Contact')!).uri;
    const body = o.body ?? gb2312(this.catalogXml('Notify', this.sn++, items.length, items));
    const req = createRequest({
      method: 'NOTIFY',
      uri: contact,
      via: { transport: 'UDP', host: '127.0.0.1', port: this.port, branch: newBranch(), rport: true },
      from: { uri: sub.req.headers.get('To') ? parseNameAddr(sub.req.headers.get('To')!).uri : `sip:${this.o.id}@${this.domain}`, tag: sub.localTag },
      to: { uri: from.uri, tag: from.params['tag'] ?? undefined },
      callId: sub.req.headers.get('Call-ID')!,
      cseq: ++sub.cseq,
      contact: `<sip:${this.o.id}@127.0.0.1:${this.port}>`,
      headers: [['Event', o.event ?? 'Catalog'], ['Subscription-State', o.state ?? 'active;expires=3600']],
      body,
      contentType: 'Application/MANSCDP+xml',
    });
    return this.request(req);
  }

  /** Sends bytes as they are and resolves with the next response carrying `callId` (or undefined after 2 s). */
  async sendRaw(bytes: Buffer, callId: string): Promise<SipResponse | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(callId);
        resolve(undefined);
      }, 2_000);
      this.pending.set(callId, (res) => {
        clearTimeout(timer);
        resolve(res);
      });
      this.sock.send(bytes, this.o.gatewayPort, '127.0.0.1');
    });
  }

  /** A request of this platform outside any dialog (From = `fromUser`). */
  outOfDialog(method: string, uri: string, fromUser: string, headers: [string, string][] = [], body?: Buffer, callId = `${randomBytes(8).toString('hex')}@127.0.0.1`): SipRequest {
    return createRequest({
      method,
      uri,
      via: { transport: 'UDP', host: '127.0.0.1', port: this.port, branch: newBranch(), rport: true },
      from: { uri: `sip:${fromUser}@${this.domain}`, tag: newTag() },
      to: { uri: method === 'REGISTER' ? `sip:${fromUser}@${this.domain}` : `sip:${this.gatewayId}@${this.domain}` },
      callId,
      cseq: this.cseq++,
      contact: `<sip:${this.o.id}@127.0.0.1:${this.port}>`,
      headers,
      body,
      contentType: body ? 'Application/MANSCDP+xml' : undefined,
    });
  }

  /** A whole Catalog body (Response or Notify) with `items`. */
  catalogXml(root: 'Response' | 'Notify', sn: number, sumNum: number, items: string[]): string {
    return `<?xml version="1.0" encoding="GB2312"?>\r\n<${root}>\r\n<CmdType>Catalog</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${this.o.id}</DeviceID>\r\n<SumNum>${sumNum}</SumNum>\r\n<DeviceList Num="${items.length}">\r\n${items.join('\r\n')}\r\n</DeviceList>\r\n</${root}>\r\n`;
  }

  private request(req: SipRequest): Promise<SipResponse> {
    const key = `${req.headers.get('Call-ID')}|${req.headers.get('CSeq')}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new Error(`no answer to ${req.method} ${key}`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(key, (res) => {
        clearTimeout(timer);
        resolve(res);
      });
      this.sock.send(serializeSipMessage(req), this.o.gatewayPort, '127.0.0.1');
    });
  }

  private reply(res: SipResponse): void {
    this.sock.send(serializeSipMessage(res), this.o.gatewayPort, '127.0.0.1');
  }

  private onBytes(buf: Buffer): void {
    let msg;
    try {
      msg = parseSipMessage(buf);
    } catch {
      return;
    }
    if (msg.type === 'response') {
      if (msg.status < 200) return;
      const callId = msg.headers.get('Call-ID') ?? '';
      const key = `${callId}|${msg.headers.get('CSeq')}`;
      const done = this.pending.get(key) ?? this.pending.get(callId);
      if (done) {
        this.pending.delete(key);
        this.pending.delete(callId);
        done(msg);
      }
      return;
    }
    if (msg.method === 'ACK') return;
    this.seen.push({ req: msg, at: Date.now() });
    const body = msg.body.toString('latin1');
    switch (msg.method) {
      case 'SUBSCRIBE': {
        const localTag = this.subscription?.req.headers.get('Call-ID') === msg.headers.get('Call-ID') ? this.subscription!.localTag : newTag();
        this.subscription = { req: msg, localTag, cseq: this.subscription?.localTag === localTag ? this.subscription.cseq : 0 };
        this.reply(createResponse(msg, 200, 'OK', { toTag: localTag, headers: [['Expires', msg.headers.get('Expires') ?? '3600'], ['Contact', `<sip:${this.o.id}@127.0.0.1:${this.port}>`]] }));
        return;
      }
      case 'INVITE':
        this.reply(createResponse(msg, this.o.inviteStatus ?? 486, 'Busy Here', { toTag: newTag() }));
        return;
      case 'MESSAGE': {
        this.reply(createResponse(msg, 200, 'OK'));
        const sn = Number(/<SN>\s*(\d+)\s*<\/SN>/.exec(body)?.[1] ?? 0);
        if (/<CmdType>\s*Catalog\s*<\/CmdType>/.test(body) && /<Query>/.test(body)) void this.sendCatalog(sn);
        else if (/<CmdType>\s*RecordInfo\s*<\/CmdType>/.test(body)) {
          // One recording of the asked channel over the asked span, as a platform relays its camera's answer.
          const [channel, start, end] = ['DeviceID', 'StartTime', 'EndTime'].map((f) => new RegExp(`<${f}>\\s*([^<]+?)\\s*</${f}>`).exec(body)?.[1] ?? '');
          void this.message(`<?xml version="1.0" encoding="GB2312"?>\r\n<Response>\r\n<CmdType>RecordInfo</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${channel}</DeviceID>\r\n<Name>录像</Name>\r\n<SumNum>1</SumNum>\r\n<RecordList Num="1">\r\n<Item><DeviceID>${channel}</DeviceID><Name>录像</Name><StartTime>${start}</StartTime><EndTime>${end}</EndTime><Type>time</Type></Item>\r\n</RecordList>\r\n</Response>\r\n`).catch(() => undefined);
        }
        else if (/<CmdType>\s*DeviceInfo\s*<\/CmdType>/.test(body)) {
          void this.message(`<?xml version="1.0" encoding="GB2312"?>\r\n<Response>\r\n<CmdType>DeviceInfo</CmdType>\r\n<SN>${sn}</SN>\r\n<DeviceID>${this.o.id}</DeviceID>\r\n<DeviceName>下级平台</DeviceName>\r\n<Result>OK</Result>\r\n<Manufacturer>WVP</Manufacturer>\r\n<Model>wvp-pro</Model>\r\n<Firmware>2.7</Firmware>\r\n</Response>\r\n`).catch(() => undefined);
        }
        return;
      }
      default:
        this.reply(createResponse(msg, 200, 'OK'));
    }
  }

  /** The catalog in packets (each after the 200 to the previous one), in `packetOrder`. */
  private async sendCatalog(sn: number): Promise<void> {
    const per = this.o.perPacket ?? 2;
    const packets: string[][] = [];
    for (let i = 0; i < this.o.catalog.length; i += per) packets.push(this.o.catalog.slice(i, i + per));
    const order = this.o.packetOrder ?? packets.map((_, i) => i);
    for (const i of order) {
      const res = await this.message(this.catalogXml('Response', sn, this.o.catalog.length, packets[i]!)).catch(() => undefined);
      if (!res || res.status !== 200) return;
    }
  }
}

/** XML text in GB2312 bytes, as the standard asks of signalling bodies. */
export function gb2312(xml: string): Buffer {
  return iconv.encode(xml, 'gb2312');
}
