import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { PsMuxer, TIMESTAMP_WRAP_90K, frameRfc4571, packetizePs, serializeRtpPacket } from '@gb/gb28181';
import { RtpImpairment, type RtpImpairmentOptions } from './rtp-impairment';
import type { MediaUnit, SimAudioCodec, SimVideoCodec } from './media-source';

/**
 * `udp`: RTP/AVP datagrams. `tcp`: RFC 4571 framing on a connection the device opens (the offer said
 * a=setup:passive). `tcp-listen`: the device listens and the platform connects (the offer said a=setup:active).
 */
export type PsRtpSenderTransport = 'udp' | 'tcp' | 'tcp-listen';

export interface PsRtpSenderOptions {
  transport: PsRtpSenderTransport;
  remoteHost: string;
  remotePort: number;
  localHost: string;
  ssrc: number;
  payloadType?: number;
  video?: SimVideoCodec;
  audio?: SimAudioCodec;
  /** false: the PSM does not name the audio stream (a camera whose audio is undeclared). Default true. */
  declareAudio?: boolean;
  impairment?: RtpImpairmentOptions;
  /** How long `connect()` waits for the TCP connection, ms. Default 10000. */
  connectTimeoutMs?: number;
  /**
   * The camera clock at the first unit (90 kHz): added to every PTS/SCR modulo 2^33 (ISO/IEC 13818-1 §2.4.3.7) and to
   * the RTP timestamp modulo 2^32. `TIMESTAMP_WRAP_90K − 5 × 90000` makes a camera whose PTS wraps 5 s in. Default 0.
   */
  startPts90k?: number;
}

export interface PsRtpSenderStats {
  packetsSent: number;
  bytesSent: number;
  packetsDropped: number;
  packetsReordered: number;
}

/**
 * Media units -> PS (PsMuxer: pack header per frame, system header + PSM per keyframe) -> RTP payloads
 * (packetizePs) -> RTP (serializeRtpPacket, marker on each PS pack's last packet, RTP timestamp = PTS)
 * -> impairment -> socket (UDP, or RFC 4571 framing over TCP).
 */
export class PsRtpSender {
  private readonly muxer: PsMuxer;
  private readonly impairment: RtpImpairment;
  private udp?: dgram.Socket;
  private tcp?: net.Socket;
  private server?: net.Server;
  private seq = Math.floor(Math.random() * 0x10000);
  private closed = false;
  private sent = { packets: 0, bytes: 0 };

  constructor(private readonly o: PsRtpSenderOptions) {
    this.muxer = new PsMuxer({ video: o.video ?? 'h264', audio: o.audio, declareAudio: o.declareAudio });
    this.impairment = new RtpImpairment(o.impairment);
  }

  get stats(): PsRtpSenderStats {
    return { packetsSent: this.sent.packets, bytesSent: this.sent.bytes, packetsDropped: this.impairment.stats.dropped, packetsReordered: this.impairment.stats.reordered };
  }

  /** Kept for callers of the first version. */
  get packetsSent(): number {
    return this.sent.packets;
  }

  /** UDP: binds (the source port goes in the SDP answer). TCP listen: listens (the port goes in the answer). TCP: 0. */
  async bind(): Promise<number> {
    if (this.o.transport === 'udp') {
      const s = dgram.createSocket(net.isIPv6(this.o.localHost) ? 'udp6' : 'udp4');
      s.on('error', () => undefined);
      await new Promise<void>((r) => s.bind(0, this.o.localHost, r));
      this.udp = s;
      return s.address().port;
    }
    if (this.o.transport === 'tcp-listen') {
      const server = net.createServer({ noDelay: true });
      server.on('error', () => undefined);
      await new Promise<void>((r) => server.listen(0, this.o.localHost, r));
      this.server = server;
      return (server.address() as net.AddressInfo).port;
    }
    return 0;
  }

  /** TCP: connects to the platform's media port; TCP listen: waits for the platform to connect. UDP: nothing. */
  async connect(): Promise<void> {
    if (this.o.transport === 'udp' || this.tcp) return;
    const timeoutMs = this.o.connectTimeoutMs ?? 10_000;
    const s = await new Promise<net.Socket>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no TCP media connection within ${timeoutMs} ms`)), timeoutMs);
      const done = (e: Error | null, sock?: net.Socket) => {
        clearTimeout(t);
        if (e) reject(e);
        else resolve(sock!);
      };
      if (this.o.transport === 'tcp-listen') {
        if (!this.server) return done(new Error('tcp-listen: bind() first'));
        this.server.once('connection', (sock) => done(null, sock));
      } else {
        const sock = net.connect({ host: this.o.remoteHost, port: this.o.remotePort, localAddress: this.o.localHost, noDelay: true });
        sock.once('connect', () => done(null, sock));
        sock.once('error', (e) => done(e));
      }
    });
    s.on('error', () => undefined);
    s.setNoDelay(true);
    // one connection per stream: stop accepting others
    this.server?.close();
    if (this.closed) s.destroy();
    else this.tcp = s;
  }

  send(u: MediaUnit): void {
    if (this.closed) return;
    const pts = (u.pts90k + (this.o.startPts90k ?? 0)) % TIMESTAMP_WRAP_90K;
    const ps = u.kind === 'video' ? this.muxer.muxVideo(u.data, pts, u.keyframe) : this.muxer.muxAudio(u.data, pts);
    const payloads = packetizePs(ps);
    payloads.forEach((payload, i) => {
      const pkt = serializeRtpPacket({
        payloadType: this.o.payloadType ?? 96, sequenceNumber: this.seq, timestamp: pts >>> 0, ssrc: this.o.ssrc,
        marker: i === payloads.length - 1, payload,
      });
      this.seq = (this.seq + 1) & 0xffff;
      for (const p of this.impairment.apply(pkt)) this.write(p);
    });
  }

  /** The first version's entry point: one video access unit. */
  sendFrame(au: Buffer, pts90k: number, keyframe: boolean): void {
    this.send({ kind: 'video', data: au, pts90k, keyframe });
  }

  private write(pkt: Buffer): void {
    if (this.udp) this.udp.send(pkt, this.o.remotePort, this.o.remoteHost);
    else if (this.tcp && !this.tcp.destroyed) this.tcp.write(frameRfc4571(pkt));
    else return;
    this.sent.packets++;
    this.sent.bytes += pkt.length;
  }

  /** Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.udp?.close();
    this.tcp?.destroy();
    this.server?.close();
  }
}
