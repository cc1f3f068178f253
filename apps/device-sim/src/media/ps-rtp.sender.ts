import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { PsMuxer, frameRfc4571, packetizePs, serializeRtpPacket } from '@gb/gb28181';

export interface PsRtpSenderOptions {
  /** `udp`: RTP/AVP datagrams; `tcp`: RFC 4571 framing on a connection the device opens (offer a=setup:passive). */
  transport: 'udp' | 'tcp';
  remoteHost: string;
  remotePort: number;
  localHost: string;
  ssrc: number;
  payloadType?: number;
}

/** Frames -> PS (PsMuxer) -> RTP payloads (packetizePs) -> RTP (serializeRtpPacket) -> socket. Marker on each frame's last packet. */
export class PsRtpSender {
  private readonly muxer = new PsMuxer({ video: 'h264' });
  private udp?: dgram.Socket;
  private tcp?: net.Socket;
  private seq = Math.floor(Math.random() * 0x10000);
  private closed = false;
  packetsSent = 0;

  constructor(private readonly o: PsRtpSenderOptions) {}

  /** Binds the UDP socket (to learn the source port for the SDP answer) or does nothing for TCP. */
  async bind(): Promise<number> {
    if (this.o.transport !== 'udp') return 0;
    const s = dgram.createSocket(net.isIPv6(this.o.localHost) ? 'udp6' : 'udp4');
    s.on('error', () => undefined);
    await new Promise<void>((r) => s.bind(0, this.o.localHost, r));
    this.udp = s;
    return s.address().port;
  }

  /** TCP: connects to the platform's media port. */
  async connect(): Promise<void> {
    if (this.o.transport !== 'tcp' || this.tcp) return;
    const s = net.connect({ host: this.o.remoteHost, port: this.o.remotePort, localAddress: this.o.localHost, noDelay: true });
    s.on('error', () => undefined);
    this.tcp = s;
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
  }

  sendFrame(au: Buffer, pts90k: number, keyframe: boolean): void {
    if (this.closed) return;
    const payloads = packetizePs(this.muxer.muxVideo(au, pts90k, keyframe));
    payloads.forEach((payload, i) => {
      const pkt = serializeRtpPacket({
        payloadType: this.o.payloadType ?? 96, sequenceNumber: this.seq, timestamp: pts90k >>> 0, ssrc: this.o.ssrc,
        marker: i === payloads.length - 1, payload,
      });
      this.seq = (this.seq + 1) & 0xffff;
      this.packetsSent++;
      if (this.udp) this.udp.send(pkt, this.o.remotePort, this.o.remoteHost);
      else if (this.tcp && !this.tcp.destroyed) this.tcp.write(frameRfc4571(pkt));
    });
  }

  /** Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.udp?.close();
    this.tcp?.destroy();
  }
}
