import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { EventEmitter } from 'node:events';
import { Rfc4571Framer, RtpReorderBuffer, StreamFailure, parseRtpPacket, parseRtpPacketInto, type RtpPacket } from '@gb/gb28181';
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

/** How often held-back UDP packets are checked against their wait bound (reorderWaitMs). */
const REORDER_TICK_MS = 40;
/**
 * One timer for every UDP receiver's reorder window instead of an interval per stream: with hundreds of streams the
 * per-stream timers cost a callback each per tick, though almost always nothing waits behind a gap.
 */
const reorderTicking = new Set<RtpReceiver>();
let reorderTimer: NodeJS.Timeout | undefined;
function tickReorders(): void {
  for (const r of reorderTicking) r.flushReorder();
}

/**
 * Receives one stream's RTP: a UDP socket, a TCP listener the device connects to (passive), or a TCP connection
 * we open to the device (active), RFC 4571 framing on TCP. Emits packets in order, filtered by SSRC and source.
 * `packet`: the object is reused for the next packet (keep its fields or payload, not it).
 */
export class RtpReceiver extends EventEmitter<{ packet: [RtpPacket]; connected: [string]; error: [Error] }> implements MuxedReceiver {
  readonly stats: RtpReceiverStats = { packets: 0, bytes: 0, wrongSsrc: 0, wrongSource: 0, garbage: 0, lost: 0, reordered: 0, firstPacketAt: null, lastPacketAt: null, source: null };
  private udp?: dgram.Socket;
  private server?: net.Server;
  private socket?: net.Socket;
  private reorder?: RtpReorderBuffer;
  private closed = false;
  private ssrc: number | null;
  /** Every packet is parsed into this one object; only one that has to wait in the reorder window is copied. */
  private readonly scratch: RtpPacket = parseRtpPacket(Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));

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
      // The source's "address:port" string is built once, not per datagram: later datagrams are compared field by field.
      let srcAddress = '';
      let srcPort = -1;
      let src = '';
      sock.on('message', (buf, r) => {
        if (r.port !== srcPort || r.address !== srcAddress) {
          srcAddress = r.address;
          srcPort = r.port;
          src = `${r.address}:${r.port}`;
        }
        this.onDatagram(buf, src);
      });
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

  /** UDP (own socket or the shared port): the reorder window, and the shared tick that releases what waited long enough. */
  private startReorder(): void {
    this.reorder = new RtpReorderBuffer({ capacity: this.opts.reorderCapacity ?? 256, maxWaitMs: this.opts.reorderWaitMs ?? 80 });
    reorderTicking.add(this);
    reorderTimer ??= setInterval(tickReorders, REORDER_TICK_MS);
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
    let src: string | undefined;
    s.on('data', (chunk) => {
      let frames: Buffer[];
      try {
        frames = framer.push(chunk);
      } catch {
        this.stats.garbage++;
        s.destroy();
        return;
      }
      src ??= `${s.remoteAddress}:${s.remotePort}`;
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
    if (this.reorder.inOrder(p.sequenceNumber)) {
      this.emit('packet', p); // in order and nothing held: no copy, no array
      return;
    }
    for (const q of this.reorder.push({ ...p }, Date.now())) this.emit('packet', q);
    this.syncReorderStats();
  }

  /** @internal the shared tick (tickReorders) */
  flushReorder(): void {
    if (!this.reorder || this.reorder.size === 0) return; // nothing waits behind a gap: the usual case
    for (const q of this.reorder.flush(Date.now())) this.emit('packet', q);
    this.syncReorderStats();
  }

  private syncReorderStats(): void {
    const s = this.reorder!.stats;
    this.stats.lost = s.lost;
    this.stats.reordered = s.reordered;
  }

  /**
   * Parses and filters one packet: RTP only, the stream's SSRC only, and (once known) its source only. The packet is the
   * receiver's one reused object: valid until the next packet ('packet' listeners must not keep it; its payload they may).
   */
  private accept(buf: Buffer, src: string): RtpPacket | null {
    let p: RtpPacket;
    try {
      p = parseRtpPacketInto(buf, this.scratch);
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
    if (reorderTicking.delete(this) && reorderTicking.size === 0) {
      clearInterval(reorderTimer);
      reorderTimer = undefined;
    }
    if (this.opts.mux && this.ssrc !== null) this.opts.mux.unregister(this.ssrc, this);
    this.udp?.close();
    this.server?.close();
    this.socket?.destroy();
    this.removeAllListeners('packet');
  }
}
