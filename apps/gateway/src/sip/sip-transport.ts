import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { EventEmitter } from 'node:events';
import { SipTcpFramer, parseSipMessage, serializeSipMessage, isGb28181Error, type SipMessage, type SipRequest } from '@gb/gb28181';
import type { SipFlow } from './sip-flow';
import { TcpAdmission, type TcpRefusalCode } from './tcp-admission';

export interface SipTransportOptions {
  host: string;
  port: number;
  /** RFC 3261 §18.1.1 says 1300 bytes for UDP; GB28181 catalogs are larger, devices send them over UDP anyway. */
  maxMessageBytes: number;
  /**
   * TCP time bounds (slow-loris and idle-socket floods). All are totals, not inactivity timers: a byte does not
   * restart them.
   *   first message  accept -> first complete message; covers a connection that never sends
   *   message        first byte of a message -> its last byte
   *   idle           no byte at all this long (between messages; keep it above the devices' keepalive interval)
   */
  tcpFirstMessageTimeoutMs: number;
  tcpMessageTimeoutMs: number;
  tcpIdleTimeoutMs: number;
  /** Most TCP connections open at once; `tcpReservedPercent` of them only for hosts that sent a valid message. */
  maxTcpConnections: number;
  maxTcpConnectionsPerHost: number;
  /** New TCP connections one host may open per second (burst: maxTcpConnectionsPerHost). */
  tcpAcceptRatePerHost: number;
  tcpReservedPercent: number;
  /** Address to advertise instead of the local address a peer reached. */
  advertisedHost?: string;
}

export interface SipTransportStats {
  udpReceived: number;
  tcpReceived: number;
  malformed: number;
  tcpConnections: number;
  tcpDropped: number;
  /** Connections closed at once on accept (rate, per-host or overall limit). */
  tcpRefused: number;
  /** Connections that never carried a message, closed to make room for a newcomer. */
  tcpEvicted: number;
  sent: number;
  /** Of `sent`, the messages sent again (the transaction layer's retransmissions: Timers A, E and G, a re-sent last response or ACK). */
  retransmitted: number;
  sendErrors: number;
}

/**
 * UDP and TCP listeners on one port. Bytes in -> framed (TCP) -> parsed -> 'message' event.
 * Malformed input is counted and dropped (TCP: the connection is closed); nothing a peer sends can throw out of here.
 */
/** Ports tried with SIP_PORT=0 before giving up (the TCP port the kernel picks may be taken for UDP). */
const LISTEN_ANY_PORT_ATTEMPTS = 10;

export class SipTransport extends EventEmitter<{
  message: [msg: SipMessage, flow: SipFlow];
  malformed: [info: { flow: SipFlow; code: string; message: string }];
  /** A request whose head parsed but whose body did not match (answered 400 statelessly by the endpoint). */
  badRequest: [req: SipRequest, flow: SipFlow, code: string];
  /** A TCP connection refused on accept, or closed for crossing a bound (stable codes; see docs/operations.md). */
  tcpLimit: [info: { remoteHost: string; remotePort: number; code: TcpRefusalCode | TcpDropCode }];
}> {
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  /** Open TCP connections, oldest first (eviction takes the oldest that never carried a message). */
  private readonly connections = new Map<number, TcpConnection>();
  private readonly admission: TcpAdmission;
  private sweepTimer?: NodeJS.Timeout;
  /** Outbound TCP connections we opened, by remote "host:port". */
  private readonly outbound = new Map<string, number>();
  private nextConnectionId = 1;
  private readonly localAddressCache = new Map<string, string>();
  private closed = false;
  readonly stats: SipTransportStats = { udpReceived: 0, tcpReceived: 0, malformed: 0, tcpConnections: 0, tcpDropped: 0, tcpRefused: 0, tcpEvicted: 0, sent: 0, retransmitted: 0, sendErrors: 0 };
  /** Messages sent once: a retransmission is the same message object sent again (the transactions keep and re-send it). */
  private readonly sentOnce = new WeakSet<SipMessage>();
  private boundPort = 0;

  constructor(
    private readonly opts: SipTransportOptions,
    private readonly now: () => number = Date.now,
  ) {
    super();
    this.admission = new TcpAdmission(
      {
        maxConnections: opts.maxTcpConnections,
        maxConnectionsPerHost: opts.maxTcpConnectionsPerHost,
        acceptRatePerHost: opts.tcpAcceptRatePerHost,
        reservedPercent: opts.tcpReservedPercent,
      },
      now,
    );
  }

  /** TCP connections open now (inbound and outbound). */
  get openTcpConnections(): number {
    return this.connections.size;
  }

  get port(): number {
    return this.boundPort;
  }

  async listen(): Promise<void> {
    // TCP first so port 0 picks a port free for both. With port 0 the TCP port the kernel picks may still be taken for
    // UDP by another program: then both are given up and another port is tried (a fixed port fails at once).
    const attempts = this.opts.port === 0 ? LISTEN_ANY_PORT_ATTEMPTS : 1;
    let udp: dgram.Socket | undefined;
    for (let attempt = 1; !udp; attempt++) {
      const tcp = net.createServer({ noDelay: true }, (s) => this.onTcpAccept(s));
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(this.opts.port, this.opts.host, () => resolve());
      });
      const port = (tcp.address() as net.AddressInfo).port;
      const sock = dgram.createSocket({ type: this.opts.host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 8 * 1024 * 1024 });
      try {
        await new Promise<void>((resolve, reject) => {
          sock.once('error', reject);
          sock.bind(port, this.opts.host, () => resolve());
        });
      } catch (e) {
        sock.close(); // libuv made the socket before bind() failed: close it (its descriptor would outlive us)
        await new Promise<void>((resolve) => tcp.close(() => resolve()));
        if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= attempts) throw e;
        continue;
      }
      this.tcp = tcp;
      this.boundPort = port;
      udp = sock;
    }
    udp.on('error', () => {
      /* ICMP errors on send surface here; never fatal */
    });
    udp.on('message', (buf, rinfo) => this.onUdp(buf, rinfo));
    this.udp = udp;
    const bounds = [this.opts.tcpFirstMessageTimeoutMs, this.opts.tcpMessageTimeoutMs, this.opts.tcpIdleTimeoutMs];
    this.sweepTimer = setInterval(() => this.sweepTcp(), sweepPeriodMs(Math.min(...bounds)));
    this.sweepTimer.unref();
  }

  private onUdp(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    this.stats.udpReceived++;
    const flow: SipFlow = {
      transport: 'udp',
      remoteHost: rinfo.address,
      remotePort: rinfo.port,
      localHost: this.localHostFor(rinfo.address),
      localPort: this.boundPort,
    };
    // RFC 5626 keep-alive pings (CRLF) carry nothing.
    if (buf.length <= 4 && buf.every((b) => b === 13 || b === 10)) return;
    this.deliver(buf, flow);
  }

  private deliver(buf: Buffer, flow: SipFlow): void {
    let msg: SipMessage;
    try {
      msg = parseSipMessage(buf, { maxMessageBytes: this.opts.maxMessageBytes });
    } catch (e) {
      this.stats.malformed++;
      const code = isGb28181Error(e) ? e.code : 'SIP_INTERNAL';
      this.emit('malformed', { flow, code, message: (e as Error).message });
      if (flow.connectionId !== undefined) this.dropConnection(flow.connectionId);
      else if (code === 'SIP_CONTENT_LENGTH_MISMATCH') this.reportTruncated(buf, flow, code);
      return;
    }
    if (flow.connectionId !== undefined) this.markProven(flow.connectionId);
    try {
      this.emit('message', msg, flow);
    } catch (e) {
      // A handler bug must not take the listener down; report it like bad input.
      this.emit('malformed', { flow, code: 'SIP_HANDLER_ERROR', message: (e as Error).message });
    }
  }

  /**
   * RFC 3261 §18.3: a UDP request whose body is shorter than its Content-Length is answered 400. Re-parse the head
   * alone (body cut off) just to address that answer; the request itself is never acted on.
   */
  private reportTruncated(buf: Buffer, flow: SipFlow, code: string): void {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = buf.subarray(0, end).toString('latin1').replace(/^(content-length|l)[ \t]*:.*$/gim, 'Content-Length: 0');
    try {
      const m = parseSipMessage(Buffer.from(head + '\r\n\r\n', 'latin1'), { maxMessageBytes: this.opts.maxMessageBytes });
      if (m.type === 'request' && m.method !== 'ACK') this.emit('badRequest', m, flow, code);
    } catch {
      /* not even the head parses: drop silently */
    }
  }

  /** An inbound connection: admitted, admitted after evicting the oldest silent one, or closed at once. */
  private onTcpAccept(socket: net.Socket): void {
    const host = normaliseHost(socket.remoteAddress ?? '');
    const decision = this.closed ? ({ kind: 'refuse', code: 'SIP_TCP_CAPACITY' } as const) : this.admission.decide(host);
    if (decision.kind === 'evict-then-admit' && !this.evictOldestSilent()) {
      this.refuse(socket, host, 'SIP_TCP_CAPACITY');
      return;
    }
    if (decision.kind === 'refuse') {
      this.refuse(socket, host, decision.code);
      return;
    }
    this.onTcpConnection(socket, host, true);
  }

  private refuse(socket: net.Socket, host: string, code: TcpRefusalCode): void {
    this.stats.tcpRefused++;
    const remotePort = socket.remotePort ?? 0;
    socket.on('error', () => undefined);
    // RST, not FIN: a refused flood leaves no TIME_WAIT sockets behind on our side.
    if (typeof socket.resetAndDestroy === 'function' && socket.readyState === 'open') socket.resetAndDestroy();
    else socket.destroy();
    this.emit('tcpLimit', { remoteHost: host, remotePort, code });
  }

  /** Closes the oldest inbound connection that never carried a message; false when there is none. */
  private evictOldestSilent(): boolean {
    for (const c of this.connections.values()) {
      if (c.inbound && !c.proven) {
        this.stats.tcpEvicted++;
        this.dropConnection(c.id, 'SIP_TCP_EVICTED');
        return true;
      }
    }
    return false;
  }

  private onTcpConnection(socket: net.Socket, host: string, inbound: boolean, outboundKey?: string): number {
    const id = this.nextConnectionId++;
    const t = this.now();
    // A connection we opened ourselves has nothing to prove; its idle bound still applies.
    const conn: TcpConnection = { id, socket, host, inbound, openedAt: t, lastByteAt: t, messageStartedAt: undefined, proven: !inbound };
    this.connections.set(id, conn);
    this.admission.opened(host);
    this.stats.tcpConnections++;
    const framer = new SipTcpFramer({ maxMessageBytes: this.opts.maxMessageBytes, maxHeaderBytes: Math.min(65536, this.opts.maxMessageBytes) });
    const flow: SipFlow = {
      transport: 'tcp',
      remoteHost: host,
      remotePort: socket.remotePort ?? 0,
      localHost: this.opts.advertisedHost ?? normaliseHost(socket.localAddress ?? this.opts.host),
      localPort: this.boundPort,
      connectionId: id,
    };
    socket.on('data', (chunk) => {
      this.stats.tcpReceived++;
      const now = this.now();
      conn.lastByteAt = now;
      let frames: Buffer[];
      try {
        frames = framer.push(chunk);
      } catch (e) {
        this.stats.malformed++;
        this.emit('malformed', { flow, code: isGb28181Error(e) ? e.code : 'SIP_INTERNAL', message: (e as Error).message });
        this.dropConnection(id);
        return;
      }
      // The message clock starts at a message's first byte and stops when it is complete; bytes do not reset it.
      if (framer.bufferedBytes === 0) conn.messageStartedAt = undefined;
      else if (frames.length > 0 || conn.messageStartedAt === undefined) conn.messageStartedAt = now;
      for (const f of frames) {
        if (!this.connections.has(id)) break;
        this.deliver(f, flow);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.connections.get(id) === conn) {
        this.connections.delete(id);
        this.admission.closed(host);
      }
      if (outboundKey && this.outbound.get(outboundKey) === id) this.outbound.delete(outboundKey);
    });
    return id;
  }

  private markProven(id: number): void {
    const c = this.connections.get(id);
    if (!c || c.proven) return;
    c.proven = true;
    this.admission.markKnown(c.host);
  }

  /** Closes the connections past one of their time bounds (runs every sweepPeriodMs). */
  private sweepTcp(): void {
    const t = this.now();
    const { tcpFirstMessageTimeoutMs: first, tcpMessageTimeoutMs: message, tcpIdleTimeoutMs: idle } = this.opts;
    for (const c of [...this.connections.values()]) {
      let code: TcpDropCode | undefined;
      if (!c.proven && t - c.openedAt >= first) code = 'SIP_TCP_FIRST_MESSAGE_TIMEOUT';
      else if (c.messageStartedAt !== undefined && t - c.messageStartedAt >= message) code = 'SIP_TCP_MESSAGE_TIMEOUT';
      else if (t - c.lastByteAt >= idle) code = 'SIP_TCP_IDLE_TIMEOUT';
      if (code) this.dropConnection(c.id, code);
    }
    this.admission.forgetIdleBuckets();
  }

  private dropConnection(id: number, code?: TcpDropCode): void {
    const c = this.connections.get(id);
    if (!c) return;
    this.stats.tcpDropped++;
    this.connections.delete(id);
    this.admission.closed(c.host);
    c.socket.destroy();
    if (code) this.emit('tcpLimit', { remoteHost: c.host, remotePort: c.socket.remotePort ?? 0, code });
  }

  /** Sends a message along a flow. TCP: on the flow's connection, or a new one to the remote address when it is gone. */
  send(msg: SipMessage, flow: SipFlow): void {
    if (this.closed) return;
    const bytes = serializeSipMessage(msg);
    this.stats.sent++;
    if (this.sentOnce.has(msg)) this.stats.retransmitted++;
    else this.sentOnce.add(msg);
    if (flow.transport === 'udp') {
      this.udp?.send(bytes, flow.remotePort, flow.remoteHost, (err) => {
        if (err) this.stats.sendErrors++;
      });
      return;
    }
    let socket = flow.connectionId !== undefined ? this.connections.get(flow.connectionId)?.socket : undefined;
    if (!socket) {
      const key = `${flow.remoteHost}:${flow.remotePort}`;
      const existing = this.outbound.get(key);
      socket = existing !== undefined ? this.connections.get(existing)?.socket : undefined;
      if (!socket) {
        const s = net.connect({ host: flow.remoteHost, port: flow.remotePort, noDelay: true });
        const id = this.onTcpConnection(s, normaliseHost(flow.remoteHost), false, key);
        this.outbound.set(key, id);
        flow.connectionId = id;
        socket = s;
      }
    }
    socket.write(bytes, (err) => {
      if (err) this.stats.sendErrors++;
    });
  }

  /** Whether a TCP connection is still open (a device that reconnects gets a new one). */
  hasConnection(id: number | undefined): boolean {
    return id !== undefined && this.connections.has(id);
  }

  /**
   * The local address the OS would use to reach `remote`: what we advertise to that peer.
   * With a wildcard bind Node cannot tell which address a datagram arrived on, so ask the routing table once per peer host.
   */
  localHostFor(remote: string): string {
    if (this.opts.advertisedHost) return this.opts.advertisedHost;
    if (this.opts.host !== '0.0.0.0' && this.opts.host !== '::') return this.opts.host;
    const cached = this.localAddressCache.get(remote);
    if (cached) return cached;
    // Best guess now (cached at once, so a burst from one peer costs one probe), then ask the routing table:
    // connect() on a UDP socket sends nothing, it only fixes the route and so the local address.
    const guess = firstLocalAddress(remote) ?? '127.0.0.1';
    if (this.localAddressCache.size > 10_000) this.localAddressCache.clear();
    this.localAddressCache.set(remote, guess);
    const probe = dgram.createSocket(remote.includes(':') ? 'udp6' : 'udp4');
    probe.on('error', () => probe.close());
    try {
      probe.connect(9, remote, () => {
        try {
          this.localAddressCache.set(remote, probe.address().address);
        } catch {
          /* keep the guess */
        }
        probe.close();
      });
    } catch {
      probe.close();
    }
    return guess;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    for (const c of this.connections.values()) c.socket.destroy();
    this.connections.clear();
    await Promise.all([
      new Promise<void>((r) => (this.udp ? this.udp.close(() => r()) : r())),
      new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r())),
    ]);
  }
}

/** Why a TCP connection was closed by the transport (besides malformed input). */
export type TcpDropCode = 'SIP_TCP_FIRST_MESSAGE_TIMEOUT' | 'SIP_TCP_MESSAGE_TIMEOUT' | 'SIP_TCP_IDLE_TIMEOUT' | 'SIP_TCP_EVICTED';

interface TcpConnection {
  id: number;
  socket: net.Socket;
  host: string;
  inbound: boolean;
  openedAt: number;
  lastByteAt: number;
  /** When the first byte of the message now in the framer arrived; undefined between messages. */
  messageStartedAt: number | undefined;
  /** Carried a complete SIP message that parsed (or we opened it). */
  proven: boolean;
}

/** How often the TCP time bounds are checked: a quarter of the smallest bound, between 20 ms and 1 s. */
function sweepPeriodMs(smallestBoundMs: number): number {
  return Math.min(1000, Math.max(20, Math.floor(smallestBoundMs / 4)));
}

function normaliseHost(h: string): string {
  return h.startsWith('::ffff:') ? h.slice(7) : h;
}

function firstLocalAddress(remote: string): string | undefined {
  if (remote === '127.0.0.1' || remote.startsWith('127.')) return '127.0.0.1';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const os = require('node:os') as typeof import('node:os');
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && a.family === 'IPv4') return a.address;
  }
  return undefined;
}
