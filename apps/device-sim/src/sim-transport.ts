import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { EventEmitter } from 'node:events';
import { SipTcpFramer, parseSipMessage, serializeSipMessage, type SipMessage } from '@gb/gb28181';
import type { SimTransport } from './sim-options';

export interface SimTransportOptions {
  transport: SimTransport;
  serverHost: string;
  serverPort: number;
  localHost: string;
  localPort?: number;
  /** TCP connect timeout, ms. Default 5000. */
  connectTimeoutMs?: number;
}

/**
 * The device's one SIP flow to the platform: a bound UDP socket, or one TCP connection framed by
 * Content-Length (RFC 3261 §18.3). Bytes that do not parse are counted and dropped, never thrown.
 */
export class SimSipTransport extends EventEmitter<{
  message: [msg: SipMessage];
  malformed: [err: Error];
  error: [err: Error];
  close: [];
}> {
  private udp?: dgram.Socket;
  private tcp?: net.Socket;
  private framer?: SipTcpFramer;
  private closed = false;
  private boundPort = 0;
  private serverHost: string;
  private serverPort: number;
  malformedCount = 0;

  constructor(private readonly opts: SimTransportOptions) {
    super();
    this.serverHost = opts.serverHost;
    this.serverPort = opts.serverPort;
  }

  /** Where requests and answers go. */
  get server(): { host: string; port: number } {
    return { host: this.serverHost, port: this.serverPort };
  }

  /**
   * UDP only: later messages go to another platform address; the socket (and so the local port in Via
   * and Contact) stays. A TCP flow is one connection to one address: open another transport instead.
   */
  retarget(host: string, port: number): void {
    if (this.opts.transport !== 'udp') throw new Error('retarget() is for UDP; a TCP device opens a new connection');
    this.serverHost = host;
    this.serverPort = port;
  }

  get transport(): SimTransport {
    return this.opts.transport;
  }

  /** Local port actually bound (for Via and Contact). */
  get localPort(): number {
    return this.boundPort;
  }

  get reliable(): boolean {
    return this.opts.transport === 'tcp';
  }

  async open(): Promise<void> {
    if (this.opts.transport === 'udp') await this.openUdp();
    else await this.openTcp();
  }

  private async openUdp(): Promise<void> {
    const sock = dgram.createSocket({ type: net.isIPv6(this.opts.localHost) ? 'udp6' : 'udp4' });
    this.udp = sock;
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(this.opts.localPort ?? 0, this.opts.localHost, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    this.boundPort = sock.address().port;
    sock.on('error', (e) => this.emit('error', e));
    // Answers always go back to the platform address (a device behind NAT does the same).
    sock.on('message', (data) => this.deliver(data));
  }

  private async openTcp(): Promise<void> {
    const framer = new SipTcpFramer();
    this.framer = framer;
    const sock = net.connect({
      host: this.opts.serverHost,
      port: this.opts.serverPort,
      localAddress: this.opts.localHost,
      ...(this.opts.localPort ? { localPort: this.opts.localPort } : {}),
      noDelay: true,
    });
    this.tcp = sock;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`TCP connect to ${this.opts.serverHost}:${this.opts.serverPort} timed out`));
      }, this.opts.connectTimeoutMs ?? 5000);
      sock.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        resolve();
      });
    });
    this.boundPort = sock.localPort ?? 0;
    sock.on('error', (e) => this.emit('error', e));
    sock.on('close', () => {
      if (!this.closed) {
        this.closed = true;
        this.emit('close');
      }
    });
    sock.on('data', (chunk) => {
      let frames: Buffer[];
      try {
        frames = framer.push(chunk);
      } catch (e) {
        this.malformedCount++;
        this.emit('malformed', e as Error);
        sock.destroy();
        return;
      }
      for (const f of frames) this.deliver(f);
    });
  }

  private deliver(data: Buffer): void {
    let msg: SipMessage;
    try {
      msg = parseSipMessage(data);
    } catch (e) {
      this.malformedCount++;
      this.emit('malformed', e as Error);
      return;
    }
    this.emit('message', msg);
  }

  send(msg: SipMessage): void {
    if (this.closed) return;
    const bytes = serializeSipMessage(msg);
    if (this.udp) {
      this.udp.send(bytes, this.serverPort, this.serverHost, (err) => {
        if (err && !this.closed) this.emit('error', err);
      });
    } else if (this.tcp && !this.tcp.destroyed) {
      this.tcp.write(bytes);
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Idempotent; for TCP, waits for the pending writes to flush. */
  async close(): Promise<void> {
    if (this.closed && !this.udp && !this.tcp) return;
    this.closed = true;
    const udp = this.udp;
    const tcp = this.tcp;
    this.udp = undefined;
    this.tcp = undefined;
    if (udp) await new Promise<void>((r) => udp.close(() => r()));
    if (tcp && !tcp.destroyed) {
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          tcp.destroy();
          r();
        }, 1000);
        tcp.end(() => {
          clearTimeout(t);
          tcp.destroy();
          r();
        });
      });
    }
  }
}
