import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { Rfc4571Framer } from '@gb/gb28181';

/** What a stream's receiver exposes to the shared port. */
export interface MuxedReceiver {
  acceptDatagram(buf: Buffer, src: string): void;
  acceptFrame(buf: Buffer, src: string): void;
}

export interface RtpPortMuxStats {
  datagrams: number;
  frames: number;
  /** Packets whose SSRC belongs to no stream (or that are not RTP): counted and dropped. */
  unknownSsrc: number;
  tcpConnections: number;
}

/** RTP header: SSRC at bytes 8..11 (RFC 3550 §5.1); version 2 in the top bits of byte 0. */
function ssrcOf(buf: Buffer): number | null {
  if (buf.length < 12 || buf[0]! >> 6 !== 2) return null;
  return buf.readUInt32BE(8);
}

/**
 * Single-port mode (`RTP_SINGLE_PORT`): every stream's UDP and TCP-passive media arrive on one port and are told apart
 * by SSRC, the y= number each INVITE carried, so a firewall or Docker mapping needs one port, not a range.
 * A packet whose SSRC no stream owns is counted and dropped: never mixed into another stream.
 */
export class RtpPortMux {
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly routes = new Map<number, MuxedReceiver>();
  readonly stats: RtpPortMuxStats = { datagrams: 0, frames: 0, unknownSsrc: 0, tcpConnections: 0 };

  constructor(
    private readonly host: string,
    readonly port: number,
  ) {}

  async open(): Promise<void> {
    const udp = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.port, this.host, () => resolve());
    });
    udp.on('error', () => undefined);
    udp.on('message', (buf, r) => {
      this.stats.datagrams++;
      this.receiverOf(buf)?.acceptDatagram(buf, `${r.address}:${r.port}`);
    });
    this.udp = udp;
    const tcp = net.createServer((s) => this.onTcp(s));
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(this.port, this.host, () => resolve());
    });
    tcp.on('error', () => undefined);
    this.tcp = tcp;
  }

  private onTcp(s: net.Socket): void {
    this.stats.tcpConnections++;
    this.sockets.add(s);
    s.setNoDelay(true);
    const framer = new Rfc4571Framer({ maxFrameBytes: 65535 });
    const src = `${s.remoteAddress}:${s.remotePort}`;
    s.on('data', (chunk) => {
      let frames: Buffer[];
      try {
        frames = framer.push(chunk);
      } catch {
        s.destroy();
        return;
      }
      for (const f of frames) {
        this.stats.frames++;
        this.receiverOf(f)?.acceptFrame(f, src);
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => this.sockets.delete(s));
  }

  /** The stream that owns the packet's SSRC; counts and returns nothing for an unknown SSRC or a non-RTP packet. */
  private receiverOf(buf: Buffer): MuxedReceiver | undefined {
    const ssrc = ssrcOf(buf);
    const rx = ssrc === null ? undefined : this.routes.get(ssrc);
    if (!rx) this.stats.unknownSsrc++;
    return rx;
  }

  register(ssrc: number, rx: MuxedReceiver): boolean {
    const cur = this.routes.get(ssrc);
    if (cur && cur !== rx) return false;
    this.routes.set(ssrc, rx);
    return true;
  }

  unregister(ssrc: number, rx: MuxedReceiver): void {
    if (this.routes.get(ssrc) === rx) this.routes.delete(ssrc);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.routes.clear();
    await Promise.all([
      new Promise<void>((r) => (this.udp ? this.udp.close(() => r()) : r())),
      new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r())),
    ]);
  }
}
