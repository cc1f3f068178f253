import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { EventEmitter } from 'node:events';
import { Rfc4571Framer, RtpReorderBuffer, StreamFailure, parseRtpPacket, type RtpPacket } from '@gb/gb28181';
import type { MuxedReceiver, RtpPortMux } from './rtp-port-mux';

export type MediaTransport = 'udp' | 'tcp-passive' | 'tcp-active';

export interface RtpReceiverStats {
  packets: number;
  bytes: number;
  /** Packets from a different SSRC than the stream's (counted, dropped: never mixed into this stream). */
  wrongSsrc: number;
  /** Packets from an unexpected source address once the first packet fixed it. */
  wrongSource: number;
  /** Datagrams/frames that were not RTP. */
  garbage: number;
  lost: number;
  reordered: number;
  firstPacketAt: number | null;
  lastPacketAt: number | null;
  source: string | null;
}

export interface RtpReceiverOptions {
  transport: MediaTransport;
  bindHost: string;
  port: number;
  /** Expected SSRC (decimal number of the y= line); null = accept the first one seen. */
  ssrc: number | null;
  /** UDP reorder window. */
  reorderCapacity?: number;
  reorderWaitMs?: number;
  /** Single-port mode: packets come from this shared port, routed by SSRC, instead of a socket of our own. */
  mux?: RtpPortMux;
}

/**
 * The UDP socket or TCP listener of a stream could not bind its port. `code` is the errno code (EADDRINUSE: another
 * socket holds the port; EACCES: not allowed), so openOnFreePort() can quarantine the port and try another. The socket
 * is already closed when this is thrown.
 */
export class RtpBindError extends Error {
  override readonly name = 'RtpBindError';
  readonly code: string;
  constructor(readonly transport: 'udp' | 'tcp-passive', readonly host: string, readonly port: number, cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    super(`RTP ${transport} bind ${host}:${port} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.code = typeof code === 'string' ? code : 'EUNKNOWN';
  }
}

/**
 * Receives one stream's RTP: a UDP socket, a TCP listener the device connects to (passive), or a TCP connection
 * we open to the device (active), RFC 4571 framing on TCP. Emits packets in order, filtered by SSRC and source.
 */
export class RtpReceiver extends EventEmitter<{ packet: [RtpPacket]; connected: [string]; error: [Error] }> implements MuxedReceiver {
  readonly stats: RtpReceiverStats = { packets: 0, bytes: 0, wrongSsrc: 0, wrongSource: 0, garbage: 0, lost: 0, reordered: 0, firstPacketAt: null, lastPacketAt: null, source: null };
  private udp?: dgram.Socket;
  private server?: net.Server;
  private socket?: net.Socket;
  private reorder?: RtpReorderBuffer;
  private flushTimer?: NodeJS.Timeout;
  private closed = false;
  private ssrc: number | null;

  constructor(private readonly opts: RtpReceiverOptions) {
    super();
    this.ssrc = opts.ssrc;
  }

  get port(): number {
    return this.opts.port;
  }

  get expectedSsrc(): number | null {
    return this.ssrc;
  }

  /** The device may answer with its own y=: adopt it (GB/T 28181 Annex F). */
  setSsrc(ssrc: number): void {
    const mux = this.opts.mux;
    if (mux && this.ssrc !== null) mux.unregister(this.ssrc, this);
    this.ssrc = ssrc;
    if (mux && !mux.register(ssrc, this)) this.emit('error', new StreamFailure('MEDIA_WRONG_SSRC', `SSRC ${ssrc} is already used by another stream on port ${mux.port}`));
  }

  /** Single-port mode: a datagram the shared port routed here by SSRC. */
  acceptDatagram(buf: Buffer, src: string): void {
    if (!this.closed) this.onDatagram(buf, src);
  }

  /** Single-port mode: an RFC 4571 frame from a TCP connection to the shared port. */
  acceptFrame(buf: Buffer, src: string): void {
    if (this.closed) return;
    const p = this.accept(buf, src);
    if (p) this.emit('packet', p);
  }

  /**
   * Binds the UDP socket or TCP listener. TCP active connects later, with connect(). A failed bind closes what it
   * opened and rejects with RtpBindError (port and errno code).
   */
  async open(): Promise<void> {
    const mux = this.opts.mux;
    if (mux) {
      if (this.ssrc === null || !mux.register(this.ssrc, this)) throw new StreamFailure('MEDIA_WRONG_SSRC', `single-port mode needs a unique SSRC (got ${this.ssrc})`);
      this.startReorder();
      return;
    }
    if (this.opts.transport === 'udp') {
      const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
      try {
        await new Promise<void>((resolve, reject) => {
          sock.once('error', reject);
          sock.bind(this.opts.port, this.opts.bindHost, () => {
            sock.off('error', reject);
            resolve();
          });
        });
      } catch (e) {
        // libuv created the socket before bind() failed: close it, or its descriptor outlives the stream.
        sock.close();
        throw new RtpBindError('udp', this.opts.bindHost, this.opts.port, e);
      }
      sock.on('error', (e) => this.emit('error', e));
      this.startReorder();
      sock.on('message', (buf, r) => this.onDatagram(buf, `${r.address}:${r.port}`));
      this.udp = sock;
    } else if (this.opts.transport === 'tcp-passive') {
      const server = net.createServer((s) => this.onTcp(s));
      server.maxConnections = 1;
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(this.opts.port, this.opts.bindHost, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (e) {
        server.close();
        throw new RtpBindError('tcp-passive', this.opts.bindHost, this.opts.port, e);
      }
      server.on('error', (e) => this.emit('error', e));
      this.server = server;
    }
  }

  /** UDP (own socket or the shared port): the reorder window and the timer that releases what waited long enough. */
  private startReorder(): void {
    this.reorder = new RtpReorderBuffer({ capacity: this.opts.reorderCapacity ?? 256, maxWaitMs: this.opts.reorderWaitMs ?? 80 });
    this.flushTimer = setInterval(() => this.flushReorder(), 40);
  }

  /** TCP active (a=setup:active in our offer): we connect to the address the device answered with. */
  connect(host: string, port: number): void {
    if (this.closed) return;
    const s = net.connect({ host, port, localAddress: this.opts.bindHost === '0.0.0.0' ? undefined : this.opts.bindHost });
    let connected = false;
    s.once('connect', () => (connected = true));
    s.on('error', (e) => {
      const why = `TCP active connection to ${host}:${port} ${connected ? 'broke' : 'failed'}: ${e.message}`;
      this.emit('error', connected ? new Error(why, { cause: e }) : new StreamFailure('MEDIA_CONNECT_FAILED', why, undefined, { cause: e }));
    });
    this.onTcp(s);
  }

  private onTcp(s: net.Socket): void {
    if (this.socket || this.closed) {
      s.destroy();
      return;
    }
    this.socket = s;
    s.setNoDelay(true);
    const framer = new Rfc4571Framer({ maxFrameBytes: 65535 });
    const announce = () => this.emit('connected', `${s.remoteAddress}:${s.remotePort}`);
    if (s.remoteAddress) announce();
    else s.once('connect', announce);
    s.on('data', (chunk) => {
      let frames: Buffer[];
      try {
        frames = framer.push(chunk);
      } catch {
        this.stats.garbage++;
        s.destroy();
        return;
      }
      const src = `${s.remoteAddress}:${s.remotePort}`;
      for (const f of frames) {
        const p = this.accept(f, src);
        if (p) this.emit('packet', p);
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      if (this.socket === s) this.socket = undefined;
    });
  }

  private onDatagram(buf: Buffer, src: string): void {
    const p = this.accept(buf, src);
    if (!p || !this.reorder) return;
    for (const q of this.reorder.push(p, Date.now())) this.emit('packet', q);
    this.syncReorderStats();
  }

  private flushReorder(): void {
    if (!this.reorder) return;
    for (const q of this.reorder.flush(Date.now())) this.emit('packet', q);
    this.syncReorderStats();
  }

  private syncReorderStats(): void {
    const s = this.reorder!.stats;
    this.stats.lost = s.lost;
    this.stats.reordered = s.reordered;
  }

  /** Parses and filters one packet: RTP only, the stream's SSRC only, and (once known) its source only. */
  private accept(buf: Buffer, src: string): RtpPacket | null {
    let p: RtpPacket;
    try {
      p = parseRtpPacket(buf);
    } catch {
      this.stats.garbage++;
      return null;
    }
    if (this.ssrc === null) this.ssrc = p.ssrc;
    if (p.ssrc !== this.ssrc) {
      this.stats.wrongSsrc++;
      return null;
    }
    if (this.stats.source === null) this.stats.source = src;
    else if (this.stats.source !== src && this.opts.transport === 'udp') {
      this.stats.wrongSource++;
      return null;
    }
    const now = Date.now();
    this.stats.packets++;
    this.stats.bytes += buf.length;
    this.stats.firstPacketAt ??= now;
    this.stats.lastPacketAt = now;
    return p;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.flushTimer);
    if (this.opts.mux && this.ssrc !== null) this.opts.mux.unregister(this.ssrc, this);
    this.udp?.close();
    this.server?.close();
    this.socket?.destroy();
    this.removeAllListeners('packet');
  }
}
