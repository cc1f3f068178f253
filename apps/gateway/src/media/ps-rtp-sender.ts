import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { EventEmitter } from 'node:events';
import { PsRtpPacketizer, StreamFailure, frameRfc4571, type PsAccessUnit } from '@gb/gb28181';
import { RtpBindError } from './rtp-receiver';

/**
 * How the sender reaches the receiver: `udp` datagrams to its address; `tcp-connect`: we open the TCP connection to its
 * address (it offered a=setup:passive); `tcp-listen`: it connects to our port (it offered a=setup:active). TCP carries
 * RFC 4571 framing (a 2-byte big-endian length before each RTP packet).
 */
export type PsRtpSendMode = 'udp' | 'tcp-connect' | 'tcp-listen';

/** Bytes a TCP receiver may leave unread in our socket before frames are dropped up to the next keyframe. */
export const PS_SENDER_MAX_QUEUED_BYTES = 4 * 1024 * 1024;
/** How long `start()` tries to connect (tcp-connect) or waits for the receiver's connection (tcp-listen). */
export const PS_SENDER_CONNECT_TIMEOUT_MS = 10_000;
/** tcp-connect: the wait between attempts (a receiver may open its port a moment after its offer). */
export const PS_SENDER_CONNECT_RETRY_MS = 500;

export interface PsRtpSenderOptions {
  mode: PsRtpSendMode;
  /** The receiver's address and port (udp, tcp-connect); for tcp-listen only its address, to prefer its connection. */
  remoteHost: string;
  remotePort: number;
  /** The RTP SSRC (the receiver's y=). */
  ssrc: number;
  /** Local address to bind (udp, tcp-listen) or connect from (tcp-connect). */
  bindHost: string;
  /** Local port for udp / tcp-listen (0: any). tcp-connect uses an ephemeral port. */
  port?: number;
  maxQueuedBytes?: number;
  connectTimeoutMs?: number;
  connectRetryMs?: number;
}

export interface PsRtpSenderStats {
  packetsSent: number;
  bytesSent: number;
  /** Frames left out: before the first keyframe, and from an overflow to the next keyframe after the queue drained. */
  framesDropped: number;
  /** Times a slow TCP receiver let the queue pass maxQueuedBytes. */
  overflows: number;
  /** TCP: the connection is up (udp: always true once open). */
  connected: boolean;
  /** Where the packets go: `host:port` (tcp-listen: the receiver's connection, once made). */
  peer: string | null;
}

/**
 * Sends a stream's access units to one receiver as PS over RTP (PsRtpPacketizer: SSRC, PT 96, 90 kHz PTS, marker per
 * frame, starting at a keyframe), over UDP or TCP (RFC 4571), as GB/T 28181 devices send to a platform.
 *
 * A slow TCP receiver: when more than `maxQueuedBytes` sit unsent in the socket, frames are dropped (counted) up to the
 * next keyframe that comes after the queue drained to a quarter, so what arrives always decodes; memory stays bounded.
 * Emits `failed` (a StreamFailure MEDIA_CONNECT_FAILED) when the TCP connection cannot be made within the timeout or
 * the receiver closes it; `connected` with the peer when the TCP connection is up. `close()` is idempotent.
 */
export class PsRtpSender extends EventEmitter<{ failed: [StreamFailure]; connected: [string] }> {
  private readonly packetizer: PsRtpPacketizer;
  private readonly maxQueued: number;
  private udp?: dgram.Socket;
  private server?: net.Server;
  private socket?: net.Socket;
  private closed = false;
  private failedOnce = false;
  private timer?: NodeJS.Timeout;
  private overflowing = false;
  private sent = { packets: 0, bytes: 0, overflows: 0 };
  private peer: string | null = null;
  private localPort = 0;

  constructor(private readonly o: PsRtpSenderOptions) {
    super();
    this.packetizer = new PsRtpPacketizer({ ssrc: o.ssrc, firstSequence: Math.floor(Math.random() * 0x10000) });
    this.maxQueued = o.maxQueuedBytes ?? PS_SENDER_MAX_QUEUED_BYTES;
  }

  get stats(): PsRtpSenderStats {
    return {
      packetsSent: this.sent.packets, bytesSent: this.sent.bytes, framesDropped: this.packetizer.stats.droppedFrames, overflows: this.sent.overflows,
      connected: this.o.mode === 'udp' ? this.udp !== undefined : this.socket !== undefined && !this.socket.destroyed, peer: this.peer,
    };
  }

  /** The local port: udp's source port and tcp-listen's listening port (what the SDP answer carries); 0 for tcp-connect. */
  get port(): number {
    return this.localPort;
  }

  /**
   * Binds the UDP socket or the TCP listener (tcp-connect: nothing to bind). A failed bind closes what it opened and
   * rejects with RtpBindError (errno `code`: EADDRINUSE lets the port pool try another port).
   */
  async open(): Promise<number> {
    const { mode, bindHost } = this.o;
    const port = this.o.port ?? 0;
    if (mode === 'udp') {
      const sock = dgram.createSocket({ type: net.isIPv6(bindHost) ? 'udp6' : 'udp4', sendBufferSize: 1024 * 1024 });
      await new Promise<void>((resolve, reject) => {
        sock.once('error', (e) => {
          sock.close();
          reject(new RtpBindError('udp', bindHost, port, e));
        });
        sock.bind(port, bindHost, () => resolve());
      });
      sock.removeAllListeners('error');
      sock.on('error', () => undefined); // ICMP unreachable and the like: UDP sends on regardless
      this.udp = sock;
      this.localPort = sock.address().port;
      this.peer = `${this.o.remoteHost}:${this.o.remotePort}`;
      if (this.closed) this.close();
      return this.localPort;
    }
    if (mode === 'tcp-listen') {
      const server = net.createServer({ noDelay: true });
      await new Promise<void>((resolve, reject) => {
        server.once('error', (e) => {
          server.close();
          reject(new RtpBindError('tcp-passive', bindHost, port, e));
        });
        server.listen(port, bindHost, () => resolve());
      });
      server.removeAllListeners('error');
      server.on('error', () => undefined);
      this.server = server;
      this.localPort = (server.address() as net.AddressInfo).port;
      if (this.closed) this.close();
      return this.localPort;
    }
    return 0;
  }

  /** tcp-connect: connects (retrying until the timeout); tcp-listen: waits for the receiver's connection. udp: nothing. */
  start(): void {
    if (this.closed || this.o.mode === 'udp') return;
    const timeoutMs = this.o.connectTimeoutMs ?? PS_SENDER_CONNECT_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    if (this.o.mode === 'tcp-listen') {
      const server = this.server;
      if (!server) return this.fail(`tcp-listen: open() first`);
      this.timer = setTimeout(() => this.fail(`the receiver did not connect to our TCP port ${this.localPort} within ${timeoutMs} ms`), timeoutMs);
      server.on('connection', (sock) => {
        if (this.socket || this.closed) return void sock.destroy(); // one connection per stream
        clearTimeout(this.timer);
        server.close(); // stop accepting; the accepted socket stays
        this.adopt(sock);
      });
      return;
    }
    const attempt = () => {
      if (this.closed) return;
      const sock = net.connect({ host: this.o.remoteHost, port: this.o.remotePort, localAddress: this.o.bindHost === '0.0.0.0' || this.o.bindHost === '::' ? undefined : this.o.bindHost, noDelay: true });
      const onError = (e: Error) => {
        sock.destroy();
        if (this.closed) return;
        if (Date.now() + (this.o.connectRetryMs ?? PS_SENDER_CONNECT_RETRY_MS) > deadline) {
          return this.fail(`could not connect to ${this.o.remoteHost}:${this.o.remotePort} within ${timeoutMs} ms: ${e.message}`);
        }
        this.timer = setTimeout(attempt, this.o.connectRetryMs ?? PS_SENDER_CONNECT_RETRY_MS);
      };
      sock.once('error', onError);
      sock.once('connect', () => {
        sock.off('error', onError);
        if (this.closed) return void sock.destroy();
        this.adopt(sock);
      });
    };
    attempt();
  }

  private adopt(sock: net.Socket): void {
    sock.setNoDelay(true);
    this.socket = sock;
    this.peer = `${sock.remoteAddress}:${sock.remotePort}`;
    sock.on('error', () => undefined); // 'close' follows
    sock.on('close', () => this.fail(`the receiver closed the TCP media connection (${this.peer})`));
    // Anything the receiver sends (RTCP over the same connection, say) is read and dropped.
    sock.on('data', () => undefined);
    this.emit('connected', this.peer);
  }

  /** One access unit of the stream (MediaSession's `accessUnit`). */
  push(au: PsAccessUnit): void {
    if (this.closed) return;
    if (this.udp) {
      for (const pkt of this.packetizer.push(au)) {
        this.udp.send(pkt, this.o.remotePort, this.o.remoteHost);
        this.count(pkt.length);
      }
      return;
    }
    const sock = this.socket;
    const up = sock !== undefined && !sock.destroyed && sock.writable;
    if (up && sock.writableLength > this.maxQueued && !this.overflowing) {
      this.overflowing = true;
      this.sent.overflows++;
      this.packetizer.resync();
    }
    if (this.overflowing && up && sock.writableLength <= this.maxQueued / 4) this.overflowing = false;
    const pkts = this.packetizer.push(au, up && !this.overflowing);
    if (pkts.length === 0 || !up) return;
    sock.write(Buffer.concat(pkts.map((p) => frameRfc4571(p))));
    for (const p of pkts) this.count(p.length);
  }

  private count(bytes: number): void {
    this.sent.packets++;
    this.sent.bytes += bytes;
  }

  private fail(message: string): void {
    if (this.closed || this.failedOnce) return;
    this.failedOnce = true;
    this.emit('failed', new StreamFailure('MEDIA_CONNECT_FAILED', message));
  }

  /** Idempotent: closes the socket, the listener and the timer. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.udp?.close();
    this.udp = undefined;
    this.server?.close();
    this.server = undefined;
    this.socket?.destroy();
  }
}
