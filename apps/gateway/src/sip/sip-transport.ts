import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { EventEmitter } from 'node:events';
import { SipTcpFramer, parseSipMessage, serializeSipMessage, isGb28181Error, type SipMessage, type SipRequest } from '@gb/gb28181';
import type { SipFlow } from './sip-flow';

export interface SipTransportOptions {
  host: string;
  port: number;
  /** RFC 3261 §18.1.1 says 1300 bytes for UDP; GB28181 catalogs are larger, devices send them over UDP anyway. */
  maxMessageBytes: number;
  /** A TCP connection holding an incomplete message this long is dropped (slow-loris bound). */
  tcpIdleTimeoutMs: number;
  maxTcpConnections: number;
  /** Address to advertise instead of the local address a peer reached. */
  advertisedHost?: string;
}

export interface SipTransportStats {
  udpReceived: number;
  tcpReceived: number;
  malformed: number;
  tcpConnections: number;
  tcpDropped: number;
  sent: number;
  sendErrors: number;
}

/**
 * UDP and TCP listeners on one port. Bytes in -> framed (TCP) -> parsed -> 'message' event.
 * Malformed input is counted and dropped (TCP: the connection is closed); nothing a peer sends can throw out of here.
 */
export class SipTransport extends EventEmitter<{
  message: [msg: SipMessage, flow: SipFlow];
  malformed: [info: { flow: SipFlow; code: string; message: string }];
  /** A request whose head parsed but whose body did not match (answered 400 statelessly by the endpoint). */
  badRequest: [req: SipRequest, flow: SipFlow, code: string];
}> {
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private readonly connections = new Map<number, net.Socket>();
  /** Outbound TCP connections we opened, by remote "host:port". */
  private readonly outbound = new Map<string, number>();
  private nextConnectionId = 1;
  private readonly localAddressCache = new Map<string, string>();
  private closed = false;
  readonly stats: SipTransportStats = { udpReceived: 0, tcpReceived: 0, malformed: 0, tcpConnections: 0, tcpDropped: 0, sent: 0, sendErrors: 0 };
  private boundPort = 0;

  constructor(private readonly opts: SipTransportOptions) {
    super();
  }

  get port(): number {
    return this.boundPort;
  }

  async listen(): Promise<void> {
    // TCP first so port 0 picks a port free for both.
    const tcp = net.createServer({ noDelay: true }, (s) => this.onTcpConnection(s));
    tcp.maxConnections = this.opts.maxTcpConnections;
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(this.opts.port, this.opts.host, () => resolve());
    });
    this.tcp = tcp;
    this.boundPort = (tcp.address() as net.AddressInfo).port;
    const udp = dgram.createSocket({ type: this.opts.host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 8 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.boundPort, this.opts.host, () => resolve());
    });
    udp.on('error', () => {
      /* ICMP errors on send surface here; never fatal */
    });
    udp.on('message', (buf, rinfo) => this.onUdp(buf, rinfo));
    this.udp = udp;
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

  private onTcpConnection(socket: net.Socket, outboundKey?: string): number {
    const id = this.nextConnectionId++;
    this.connections.set(id, socket);
    this.stats.tcpConnections++;
    const framer = new SipTcpFramer({ maxMessageBytes: this.opts.maxMessageBytes, maxHeaderBytes: Math.min(65536, this.opts.maxMessageBytes) });
    const remoteHost = normaliseHost(socket.remoteAddress ?? '');
    const flow: SipFlow = {
      transport: 'tcp',
      remoteHost,
      remotePort: socket.remotePort ?? 0,
      localHost: this.opts.advertisedHost ?? normaliseHost(socket.localAddress ?? this.opts.host),
      localPort: this.boundPort,
      connectionId: id,
    };
    socket.setTimeout(this.opts.tcpIdleTimeoutMs, () => {
      // Idle with a partial message = slow peer; idle between messages is fine (devices keep TCP open).
      if (framer.bufferedBytes > 0) this.dropConnection(id);
    });
    socket.on('data', (chunk) => {
      this.stats.tcpReceived++;
      let frames: Buffer[];
      try {
        frames = framer.push(chunk);
      } catch (e) {
        this.stats.malformed++;
        this.emit('malformed', { flow, code: isGb28181Error(e) ? e.code : 'SIP_INTERNAL', message: (e as Error).message });
        this.dropConnection(id);
        return;
      }
      for (const f of frames) {
        if (!this.connections.has(id)) break;
        this.deliver(f, flow);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.connections.delete(id);
      if (outboundKey && this.outbound.get(outboundKey) === id) this.outbound.delete(outboundKey);
    });
    return id;
  }

  private dropConnection(id: number): void {
    const s = this.connections.get(id);
    if (!s) return;
    this.stats.tcpDropped++;
    this.connections.delete(id);
    s.destroy();
  }

  /** Sends a message along a flow. TCP: on the flow's connection, or a new one to the remote address when it is gone. */
  send(msg: SipMessage, flow: SipFlow): void {
    if (this.closed) return;
    const bytes = serializeSipMessage(msg);
    this.stats.sent++;
    if (flow.transport === 'udp') {
      this.udp?.send(bytes, flow.remotePort, flow.remoteHost, (err) => {
        if (err) this.stats.sendErrors++;
      });
      return;
    }
    let socket = flow.connectionId !== undefined ? this.connections.get(flow.connectionId) : undefined;
    if (!socket) {
      const key = `${flow.remoteHost}:${flow.remotePort}`;
      const existing = this.outbound.get(key);
      socket = existing !== undefined ? this.connections.get(existing) : undefined;
      if (!socket) {
        const s = net.connect({ host: flow.remoteHost, port: flow.remotePort, noDelay: true });
        const id = this.onTcpConnection(s, key);
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
    for (const s of this.connections.values()) s.destroy();
    this.connections.clear();
    await Promise.all([
      new Promise<void>((r) => (this.udp ? this.udp.close(() => r()) : r())),
      new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r())),
    ]);
  }
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
