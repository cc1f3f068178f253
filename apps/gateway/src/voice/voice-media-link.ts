import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Rfc4571Framer, frameRfc4571, type VoiceMedia } from '@gb/gb28181';
import { GatewayError } from '../common/gateway-error';

/** How long a TCP voice link waits for the device to connect (tcp-active peer) or for our connect (tcp-passive). */
export const VOICE_TCP_CONNECT_TIMEOUT_MS = 5_000;

/** Sends RTP to the device and hands back what it sends (talk; and the odd camera that also sends in broadcast). */
export interface VoiceMediaLink {
  readonly localPort: number;
  send(rtp: Buffer): void;
  onRtp?: (rtp: Buffer) => void;
  onClosed?: (why: string) => void;
  close(): void;
}

/**
 * The media side of a voice session, bound before the SDP is written (our port goes in it): a UDP socket that sends to
 * the peer's address and takes packets from the peer's host only, or TCP with RFC 4571 framing: a listener the device
 * connects to (it offered setup:active) or a connection we open to it (setup:passive), once the peer's SDP is known.
 */
export class VoiceMediaLinkImpl implements VoiceMediaLink {
  onRtp?: (rtp: Buffer) => void;
  onClosed?: (why: string) => void;
  private udp?: UdpSocket;
  private server?: Server;
  private tcp?: Socket;
  private peer?: VoiceMedia;
  private closed = false;
  private timer?: NodeJS.Timeout;
  /** A connection that came before the peer's SDP was known. */
  private early?: Socket;

  private constructor(
    readonly localPort: number,
    private readonly bindHost: string,
    readonly kind: 'udp' | 'tcp',
  ) {}

  /** Binds `port` (from the RTP port pool) for `kind`; rejects when the port is taken. */
  static async open(kind: 'udp' | 'tcp', bindHost: string, port: number): Promise<VoiceMediaLinkImpl> {
    const link = new VoiceMediaLinkImpl(port, bindHost, kind);
    if (kind === 'udp') {
      const s = createSocket(bindHost.includes(':') ? 'udp6' : 'udp4');
      await new Promise<void>((ok, ko) => {
        s.once('error', ko);
        s.bind(port, bindHost, () => {
          s.off('error', ko);
          ok();
        });
      });
      s.on('error', () => undefined);
      s.on('message', (m, r) => {
        if (link.peer && r.address.replace(/^::ffff:/, '') === link.peer.host) link.onRtp?.(m);
      });
      link.udp = s;
    } else {
      const srv = createServer({ pauseOnConnect: false });
      await new Promise<void>((ok, ko) => {
        srv.once('error', ko);
        srv.listen(port, bindHost, () => {
          srv.off('error', ko);
          ok();
        });
      });
      srv.on('error', () => undefined);
      srv.on('connection', (c) => link.adopt(c, true));
      link.server = srv;
    }
    return link;
  }

  /** The peer's audio section: where to send; TCP: connect now (tcp-passive) or wait for the device (tcp-active). */
  connect(peer: VoiceMedia): void {
    this.peer = peer;
    if (this.kind === 'udp' || this.closed) return;
    this.timer = setTimeout(() => this.fail(`the device's TCP media connection did not come up within ${VOICE_TCP_CONNECT_TIMEOUT_MS} ms`), VOICE_TCP_CONNECT_TIMEOUT_MS);
    this.timer.unref();
    const early = this.early;
    this.early = undefined;
    if (early) this.adopt(early, true);
    if (peer.transport === 'tcp-passive') {
      const c = createConnection({ host: peer.host, port: peer.port });
      c.on('error', (e) => this.fail(`TCP media connection to ${peer.host}:${peer.port} failed: ${e.message}`));
      c.once('connect', () => this.adopt(c, false));
    }
  }

  private adopt(c: Socket, incoming: boolean): void {
    if (incoming && !this.peer && !this.closed && !this.early) {
      // the device may connect as soon as it has sent its answer, before we have read it: held until connect()
      this.early = c;
      c.on('error', () => undefined);
      return;
    }
    if (this.closed || this.tcp || (incoming && (!this.peer || c.remoteAddress?.replace(/^::ffff:/, '') !== this.peer.host))) {
      c.destroy();
      return;
    }
    clearTimeout(this.timer);
    this.tcp = c;
    c.setNoDelay(true);
    const framer = new Rfc4571Framer();
    c.on('data', (d) => {
      try {
        for (const p of framer.push(d)) this.onRtp?.(p);
      } catch (e) {
        this.fail(`bad RFC 4571 framing from the device: ${(e as Error).message}`);
      }
    });
    c.on('error', () => undefined);
    c.on('close', () => this.fail('the device closed the TCP media connection'));
    this.server?.close();
  }

  send(rtp: Buffer): void {
    if (this.closed || !this.peer) return;
    if (this.udp) this.udp.send(rtp, this.peer.port, this.peer.host);
    else if (this.tcp && !this.tcp.destroyed) this.tcp.write(frameRfc4571(rtp));
  }

  private fail(why: string): void {
    if (this.closed) return;
    this.close();
    try {
      this.onClosed?.(why);
    } catch {
      // a listener failing must not break the link's teardown
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.udp?.close();
    this.server?.close();
    this.tcp?.destroy();
    this.early?.destroy();
  }
}

export function mediaLinkError(e: unknown): GatewayError {
  return new GatewayError('MEDIA_CONNECT_FAILED', `voice media: ${(e as Error).message}`, undefined, { cause: e });
}
