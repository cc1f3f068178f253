import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import {
  createDigestChallenge,
  createRequest,
  createResponse,
  Dialog,
  encodeManscdpText,
  newBranch,
  newCallId,
  newTag,
  parseCSeq,
  parseDigestParams,
  parseNameAddr,
  parseSipMessage,
  parseSipUri,
  serializeSipMessage,
  SipTcpFramer,
  type ManscdpCharset,
  type SipRequest,
  type SipResponse,
} from '@gb/gb28181';

/**
 * A superior platform (GB/T 28181-2016 §5.1, §9.1 as a platform answers a lower one) played by raw sockets, for e2e
 * specs of the cascade: the gateway under test registers with it through POST /api/platforms.
 *
 * - REGISTER: 401 with a digest challenge, the digest checked here by hand (HA1/HA2/response of Annex J.1, with or
 *   without qop=auth), 200 with Expires for the right one, 403 for a wrong one.
 * - Every other request it receives: 200, unless `onRequest` answers otherwise (or chooses silence).
 * - `request()` sends an out-of-dialog request (a MANSCDP query, a SUBSCRIBE) to the registered gateway along the
 *   flow it registered from: UDP to the source address and port of its REGISTER, TCP on the connection it opened
 *   (RFC 3261 §18.2.2 / §18.3: the gateway reads requests on any flow).
 * - `invite()` holds an INVITE dialog as a UAC: INVITE with an SDP offer, 200 with the answer, ACK, then BYE / INFO.
 *
 * Everything received is kept in `seen`, in arrival order, with what was answered to REGISTERs.
 */
export interface FakeSuperiorOptions {
  transport: 'udp' | 'tcp';
  /** The password it checks the digest with. */
  password: string;
  /** Its own 20-digit ID (the gateway's `serverId`). */
  serverId?: string;
  /** Its domain, also the digest realm. */
  domain?: string;
  /** The digest username (the gateway's local ID) it expects; any when unset. */
  user?: string;
  /** Challenge with qop=auth (response = MD5(HA1:nonce:nc:cnonce:qop:HA2)). */
  qop?: boolean;
  /** Asked before the default answer of every non-REGISTER request (see `RequestHook`). */
  onRequest?: RequestHook;
}

/**
 * Answers a request other than REGISTER: a response to send, `'silent'` to send nothing, or undefined for the
 * default 200. May be async (the answer is sent when it settles).
 */
export type RequestHook = (req: SipRequest, superior: FakeSuperior) => SipResponse | 'silent' | undefined | Promise<SipResponse | 'silent' | undefined>;

export interface SeenRequest {
  req: SipRequest;
  at: number;
  /** REGISTER: the status answered. */
  status?: number;
}

/** An INVITE dialog the superior holds as the UAC. */
export interface HeldDialog {
  dialog: Dialog;
  /** The 200 to the INVITE. */
  answer: SipResponse;
  /** Its SDP body (latin1). */
  answerSdp: string;
  /** Sends a request in the dialog and resolves with its final response. */
  request(method: string, body?: string | Buffer, contentType?: string, headers?: [string, string][]): Promise<SipResponse>;
  /** BYE in the dialog. */
  bye(): Promise<SipResponse>;
  /** INFO with a MANSRTSP body (Content-Type Application/MANSRTSP). */
  info(mansrtsp: string): Promise<SipResponse>;
}

const DEFAULT_SERVER_ID = '34020000002000000002';
const DEFAULT_DOMAIN = '3402000000';
/** How long `request()` waits for a final response unless told otherwise (well past Timer F's 32 s is pointless in a spec). */
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

interface Pending {
  resolve: (res: SipResponse) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  /** Every response, provisional ones too (an INVITE's 100/180 and its 200). */
  responses: SipResponse[];
}

interface Waiter {
  predicate: (req: SipRequest) => boolean;
  resolve: (req: SipRequest) => void;
}

/** Where the gateway registered from: a UDP source address, or the TCP connection it opened. */
type Flow = { kind: 'udp'; address: string; port: number } | { kind: 'tcp'; socket: net.Socket };

export class FakeSuperior {
  readonly serverId: string;
  readonly domain: string;
  readonly transport: 'udp' | 'tcp';
  readonly seen: SeenRequest[] = [];
  /** TCP: connections the gateway opened to it. */
  connections = 0;
  /** Replaced freely by a spec (see `RequestHook`). */
  onRequest: RequestHook | undefined;
  /** The nonce of its challenges (a spec may change it to force a new challenge). */
  nonce = randomBytes(8).toString('hex');
  port = 0;

  private readonly udp?: dgram.Socket;
  private readonly server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly pending = new Map<string, Pending>();
  private readonly waiters = new Set<Waiter>();
  /** The flow of the last REGISTER answered 200, and the local ID it registered. */
  private registered?: { flow: Flow; localId: string };
  private cseq = 1;

  constructor(private readonly opts: FakeSuperiorOptions) {
    this.serverId = opts.serverId ?? DEFAULT_SERVER_ID;
    this.domain = opts.domain ?? DEFAULT_DOMAIN;
    this.transport = opts.transport;
    this.onRequest = opts.onRequest;
    if (opts.transport === 'udp') {
      this.udp = dgram.createSocket('udp4');
      this.udp.on('message', (buf, rinfo) => this.onBytes(buf, { kind: 'udp', address: rinfo.address, port: rinfo.port }));
    } else {
      this.server = net.createServer((sock) => this.onConnection(sock));
    }
  }

  /** Binds 127.0.0.1 on a free port; resolves with it. */
  async start(): Promise<number> {
    if (this.udp) {
      await new Promise<void>((r) => this.udp!.bind(0, '127.0.0.1', r));
      this.port = this.udp.address().port;
    } else {
      await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
      this.port = (this.server!.address() as net.AddressInfo).port;
    }
    return this.port;
  }

  /** Closes the socket(s); pending requests fail. Safe twice. */
  async close(): Promise<void> {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error('fake superior closed'));
    }
    this.pending.clear();
    if (this.udp) {
      await new Promise<void>((r) => {
        try {
          this.udp!.close(() => r());
        } catch {
          r();
        }
      });
    }
    if (this.server) {
      for (const s of this.sockets) s.destroy();
      await new Promise<void>((r) => this.server!.close(() => r()));
    }
  }

  registers(): SeenRequest[] {
    return this.seen.filter((s) => s.req.method === 'REGISTER');
  }

  keepalives(): SeenRequest[] {
    return this.seen.filter((s) => s.req.method === 'MESSAGE' && /<CmdType>\s*Keepalive\s*<\/CmdType>/.test(s.req.body.toString('latin1')));
  }

  /** Whether a REGISTER was answered 200 (and `request()` knows where to send). */
  get isRegistered(): boolean {
    return this.registered !== undefined;
  }

  /** The local ID the gateway registered with (its From user), once registered. */
  get localId(): string | undefined {
    return this.registered?.localId;
  }

  /**
   * Resolves with the first request received from now on (or already in `seen` when `includeSeen`) that matches;
   * rejects after `timeoutMs`.
   */
  waitForRequest(predicate: (req: SipRequest) => boolean, timeoutMs = 5_000, includeSeen = false): Promise<SipRequest> {
    if (includeSeen) {
      const hit = this.seen.find((s) => predicate(s.req));
      if (hit) return Promise.resolve(hit.req);
    }
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        predicate,
        resolve: (req) => {
          clearTimeout(timer);
          resolve(req);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`fake superior: no matching request within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  /**
   * Sends an out-of-dialog request to the registered gateway (Request-URI and To = its local ID, From = our ID) and
   * resolves with the final response (100s absorbed). `headers` are added as given (e.g. Event, Expires, Contact).
   */
  request(method: string, body?: string | Buffer, contentType?: string, headers: [string, string][] = [], timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Promise<SipResponse> {
    return this.send(this.buildRequest(method, body, contentType, headers), timeoutMs);
  }

  /** A MANSCDP MESSAGE (Application/MANSCDP+xml); a string is encoded in `charset` (its prolog should say the same). */
  message(xml: string | Buffer, charset: ManscdpCharset = 'GB2312', timeoutMs?: number): Promise<SipResponse> {
    const body = Buffer.isBuffer(xml) ? xml : encodeManscdpText(xml, charset);
    return this.request('MESSAGE', body, 'Application/MANSCDP+xml', [], timeoutMs);
  }

  /** Builds an out-of-dialog request to the registered gateway without sending it. */
  buildRequest(method: string, body?: string | Buffer, contentType?: string, headers: [string, string][] = []): SipRequest {
    const reg = this.requireRegistered();
    const gatewayUri = `sip:${reg.localId}@${this.domain}`;
    return createRequest({
      method,
      uri: gatewayUri,
      via: this.via(),
      from: { uri: `sip:${this.serverId}@${this.domain}`, tag: newTag() },
      to: { uri: gatewayUri },
      callId: newCallId('127.0.0.1'),
      cseq: this.cseq++,
      contact: method === 'MESSAGE' ? undefined : `sip:${this.serverId}@127.0.0.1:${this.port}`,
      headers,
      body: body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
      contentType,
    });
  }

  /** Sends a request built by the caller on the registered flow and resolves with its final response. */
  send(req: SipRequest, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Promise<SipResponse> {
    return this.transact(req, timeoutMs).then((all) => all[all.length - 1]!);
  }

  /**
   * Sends an INVITE with `sdp` (to `channelId` as the Request-URI user and To; `subject` in a Subject header when
   * given) and, on a 2xx, sends the ACK and resolves with the held dialog. Rejects with the status of a failure.
   */
  async invite(channelId: string, sdp: string, o: { subject?: string; timeoutMs?: number } = {}): Promise<HeldDialog> {
    this.requireRegistered();
    const uri = `sip:${channelId}@${this.domain}`;
    const invite = createRequest({
      method: 'INVITE',
      uri,
      via: this.via(),
      from: { uri: `sip:${this.serverId}@${this.domain}`, tag: newTag() },
      to: { uri },
      callId: newCallId('127.0.0.1'),
      cseq: this.cseq++,
      contact: `sip:${this.serverId}@127.0.0.1:${this.port}`,
      headers: o.subject === undefined ? [] : [['Subject', o.subject]],
      body: Buffer.from(sdp, 'utf8'),
      contentType: 'APPLICATION/SDP',
    });
    const all = await this.transact(invite, o.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
    const answer = all[all.length - 1]!;
    if (answer.status < 200 || answer.status >= 300) {
      throw Object.assign(new Error(`INVITE answered ${answer.status} ${answer.reason}`), { status: answer.status, response: answer });
    }
    const dialog = Dialog.fromInvite2xx(invite, answer);
    this.sendRaw(dialog.buildAck({ via: this.via() }));
    const inDialog = (method: string, body?: string | Buffer, contentType?: string, headers?: [string, string][]) =>
      this.send(
        dialog.createRequest(method, {
          via: this.via(),
          headers,
          body: body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
          contentType,
        }),
      );
    return {
      dialog,
      answer,
      answerSdp: answer.body.toString('latin1'),
      request: inDialog,
      bye: () => inDialog('BYE'),
      info: (mansrtsp) => inDialog('INFO', mansrtsp, 'Application/MANSRTSP'),
    };
  }

  /** Sends a response (e.g. from a hook that answers later) on the flow of the request it answers. */
  respond(req: SipRequest, res: SipResponse): void {
    const flow = this.flows.get(req);
    if (flow) this.write(flow, serializeSipMessage(res));
  }

  private readonly flows = new WeakMap<SipRequest, Flow>();

  private via() {
    return { transport: this.transport.toUpperCase(), host: '127.0.0.1', port: this.port, branch: newBranch(), rport: true };
  }

  private requireRegistered(): { flow: Flow; localId: string } {
    if (!this.registered) throw new Error('fake superior: the gateway has not registered yet');
    return this.registered;
  }

  private transact(req: SipRequest, timeoutMs: number): Promise<SipResponse[]> {
    const key = this.keyOf(req.headers.get('Call-ID'), req.headers.get('CSeq'));
    return new Promise((resolve, reject) => {
      const p: Pending = {
        responses: [],
        resolve: () => undefined,
        reject,
        timer: setTimeout(() => {
          this.pending.delete(key);
          reject(new Error(`fake superior: no final response to ${req.method} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      p.resolve = () => resolve(p.responses);
      this.pending.set(key, p);
      this.sendRaw(req);
    });
  }

  private sendRaw(req: SipRequest): void {
    this.write(this.requireRegistered().flow, serializeSipMessage(req));
  }

  private write(flow: Flow, bytes: Buffer): void {
    if (flow.kind === 'udp') this.udp!.send(bytes, flow.port, flow.address);
    else if (!flow.socket.destroyed) flow.socket.write(bytes);
  }

  private keyOf(callId: string | undefined, cseq: string | undefined): string {
    try {
      const c = parseCSeq(cseq ?? '');
      return `${callId ?? ''}|${c.seq}|${c.method}`;
    } catch {
      return `${callId ?? ''}|?`;
    }
  }

  private onConnection(sock: net.Socket): void {
    this.connections++;
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => undefined);
    const framer = new SipTcpFramer();
    sock.on('data', (chunk) => {
      let messages: Buffer[];
      try {
        messages = framer.push(chunk);
      } catch {
        sock.destroy();
        return;
      }
      for (const bytes of messages) this.onBytes(bytes, { kind: 'tcp', socket: sock });
    });
  }

  private onBytes(buf: Buffer, flow: Flow): void {
    let msg;
    try {
      msg = parseSipMessage(buf);
    } catch {
      return;
    }
    if (msg.type === 'response') {
      const key = this.keyOf(msg.headers.get('Call-ID'), msg.headers.get('CSeq'));
      const p = this.pending.get(key);
      if (!p) return;
      p.responses.push(msg);
      if (msg.status >= 200) {
        clearTimeout(p.timer);
        this.pending.delete(key);
        p.resolve(msg);
      }
      return;
    }
    const seen: SeenRequest = { req: msg, at: Date.now() };
    this.seen.push(seen);
    this.flows.set(msg, flow);
    if (msg.method === 'ACK') {
      this.notify(msg);
      return;
    }
    if (msg.method === 'REGISTER') {
      const res = this.answerRegister(msg, flow);
      seen.status = res.status;
      this.write(flow, serializeSipMessage(res));
      this.notify(msg);
      return;
    }
    this.notify(msg);
    void Promise.resolve(this.onRequest?.(msg, this))
      .catch(() => createResponse(msg, 500, 'Server Internal Error'))
      .then((res) => {
        if (res === 'silent') return;
        this.write(flow, serializeSipMessage(res ?? createResponse(msg, 200, 'OK')));
      });
  }

  private notify(req: SipRequest): void {
    for (const w of [...this.waiters]) {
      if (!w.predicate(req)) continue;
      this.waiters.delete(w);
      w.resolve(req);
    }
  }

  private answerRegister(msg: SipRequest, flow: Flow): SipResponse {
    const auth = msg.headers.get('Authorization');
    if (!auth) {
      return createResponse(msg, 401, 'Unauthorized', {
        headers: [['WWW-Authenticate', createDigestChallenge({ realm: this.domain, nonce: this.nonce, qop: this.opts.qop ? 'auth' : undefined })]],
      });
    }
    const p = parseDigestParams(auth);
    // Annex J.1 by hand: HA1 = MD5(user:realm:password), HA2 = MD5(REGISTER:uri),
    // response = MD5(HA1:nonce:HA2), or MD5(HA1:nonce:nc:cnonce:qop:HA2) with qop=auth.
    const ha1 = md5(`${p.username}:${this.domain}:${this.opts.password}`);
    const ha2 = md5(`REGISTER:${p.uri}`);
    const expected = this.opts.qop ? md5(`${ha1}:${this.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`) : md5(`${ha1}:${this.nonce}:${ha2}`);
    const good =
      (this.opts.user === undefined || p.username === this.opts.user) &&
      p.realm === this.domain &&
      p.nonce === this.nonce &&
      (!this.opts.qop || p.qop === 'auth') &&
      p.uri === `sip:${this.serverId}@${this.domain}` &&
      p.response === expected;
    if (!good) return createResponse(msg, 403, 'Forbidden');
    const expires = msg.headers.get('Expires') ?? '3600';
    if (expires.trim() === '0') {
      this.registered = undefined;
    } else {
      let localId = p.username ?? '';
      try {
        localId = parseSipUri(parseNameAddr(msg.headers.get('From') ?? '').uri).user ?? localId;
      } catch {
        // keep the digest username
      }
      this.registered = { flow, localId };
    }
    return createResponse(msg, 200, 'OK', { headers: [['Expires', expires], ['Date', new Date().toISOString().slice(0, 23)]] });
  }
}
