import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { frameRfc4571 } from '../../libs/gb28181/src/media';
import type { PsRtpClip } from './ps-rtp-clip';

export interface ReplayTarget {
  transport: 'udp' | 'tcp';
  host: string;
  port: number;
  ssrc: number;
}

interface Stream extends ReplayTarget {
  seq: number;
  /** Clip frame the stream started at: a random GOP phase, as when a platform asks a camera that is already encoding. */
  startFrame: number;
  startedAt: number;
  sent: number;
  /** PTS of frame 0 of this stream (random, as a camera's clock is). */
  ptsBase: number;
  tcp?: net.Socket;
  stopped: boolean;
}

export interface ReplayHandle {
  /** Idempotent. */
  stop(): void;
  /**
   * A camera honouring DeviceControl IFameCmd: the next frame sent is a keyframe (the clip jumps back to the keyframe
   * that starts the current GOP; timestamps keep running on), as an encoder that inserts an IDR now.
   */
  keyframeNow(): void;
}

/** Pacing tick: frames due are sent on each tick (25 fps = one frame every 40 ms per stream). */
const TICK_MS = 4;

/**
 * One process sends any number of camera streams from one pre-muxed clip: a single UDP socket (the gateway keys each
 * stream by its own port and SSRC), or one TCP connection per stream (RFC 4571 framing, TCP passive offers).
 * Frames are paced in real time; each stream starts at a random frame, so keyframes of many streams do not coincide.
 */
export class RtpReplayer {
  private udp?: dgram.Socket;
  private readonly streams = new Set<Stream>();
  private timer?: NodeJS.Timeout;
  private readonly frameMs: number;
  packetsSent = 0;
  bytesSent = 0;
  /** Frames that were due but sent late by more than one frame interval (the sender fell behind). */
  lateFrames = 0;

  constructor(
    private readonly clip: PsRtpClip,
    private readonly localHost = '127.0.0.1',
  ) {
    this.frameMs = 1000 / clip.fps;
  }

  /** Binds the shared UDP socket; returns its port (the SDP answer's m= port). */
  async open(): Promise<number> {
    if (!this.udp) {
      const s = dgram.createSocket({ type: 'udp4', sendBufferSize: 4 * 1024 * 1024 });
      s.on('error', () => undefined);
      await new Promise<void>((r) => s.bind(0, this.localHost, r));
      this.udp = s;
    }
    return this.udp.address().port;
  }

  get activeStreams(): number {
    return this.streams.size;
  }

  /** Starts sending to `t` from the clip's live position. TCP: connects first (the device side of a=setup:passive). */
  async start(t: ReplayTarget): Promise<ReplayHandle> {
    const now = performance.now();
    const s: Stream = {
      ...t, seq: Math.floor(Math.random() * 0x10000), startFrame: Math.floor(Math.random() * this.clip.frameCount), startedAt: now, sent: 0,
      ptsBase: Math.floor(Math.random() * 2 ** 32), stopped: false,
    };
    if (t.transport === 'tcp') {
      const sock = net.connect({ host: t.host, port: t.port, localAddress: this.localHost, noDelay: true });
      sock.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => {
        sock.once('connect', resolve);
        sock.once('error', reject);
      });
      s.tcp = sock;
    } else {
      await this.open();
    }
    this.streams.add(s);
    this.timer ??= setInterval(() => this.tick(), TICK_MS);
    this.tick();
    return {
      keyframeNow: () => {
        const n = this.clip.frameCount;
        let k = (s.startFrame + s.sent) % n;
        for (let i = 0; i < n && !this.clip.frames[k]!.keyframe; i++) k = (k - 1 + n) % n;
        s.startFrame = (((k - s.sent) % n) + n) % n;
      },
      stop: () => {
        s.stopped = true;
        this.streams.delete(s);
        s.tcp?.destroy();
        if (this.streams.size === 0 && this.timer) {
          clearInterval(this.timer);
          this.timer = undefined;
        }
      },
    };
  }

  private tick(): void {
    const now = performance.now();
    for (const s of this.streams) {
      const due = Math.floor((now - s.startedAt) / this.frameMs) + 1;
      if (due - s.sent > 1) this.lateFrames += due - s.sent - 1;
      while (s.sent < due && !s.stopped) {
        const index = (s.startFrame + s.sent) % this.clip.frameCount;
        const pts = (s.ptsBase + s.sent * this.clip.frameTicks) % 0x200000000;
        for (const p of this.clip.packetsOf(index, pts, s)) {
          this.packetsSent++;
          this.bytesSent += p.length;
          if (s.tcp) {
            if (!s.tcp.destroyed) s.tcp.write(frameRfc4571(p));
          } else this.udp!.send(p, s.port, s.host);
        }
        s.sent++;
      }
    }
  }

  /** Stops every stream and closes the socket. Idempotent. */
  close(): void {
    for (const s of [...this.streams]) {
      s.stopped = true;
      s.tcp?.destroy();
    }
    this.streams.clear();
    clearInterval(this.timer);
    this.timer = undefined;
    this.udp?.close();
    this.udp = undefined;
  }
}
