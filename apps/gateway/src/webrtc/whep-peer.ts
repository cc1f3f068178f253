import { randomUUID } from 'node:crypto';
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { withPublicHostCandidates } from './webrtc-sdp';

/** A peer that has not reached 'connected' this long after its answer is closed (a browser that gave up or never was). */
export const WEBRTC_CONNECT_TIMEOUT_MS = 10_000;
/** How long ICE gathering (host candidates only, no STUN) may take before the answer goes out with what it has. */
export const WEBRTC_GATHER_TIMEOUT_MS = 3_000;

export interface WhepPeerOptions {
  /** UDP ports the peer's ICE socket may bind ([min, max], min < max), or undefined for any. */
  portRange?: [number, number];
  /** Extra host candidate address (WEBRTC_PUBLIC_HOST). */
  publicHost?: string;
  /**
   * G.711 law of the audio track offered when the browser's offer has an audio section (PCMA for A-law, PCMU for
   * µ-law, RFC 3551 payload 8 / 0); undefined: no audio track (an AAC camera).
   */
  audio?: 'alaw' | 'ulaw';
  /** ICE + DTLS are up: the caller sends the join burst (GOP cache) or asks the camera for a keyframe. */
  onConnected?: (peer: WhepPeer) => void;
  onClosed: (peer: WhepPeer) => void;
}

const G711_CODECS = {
  alaw: () => new RTCRtpCodecParameters({ mimeType: 'audio/PCMA', clockRate: 8000, channels: 1, payloadType: 8 }),
  ulaw: () => new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 }),
};

/**
 * One WHEP viewer: a werift RTCPeerConnection with one send-only H.264 video track (RFC 6184, packetization-mode=1)
 * and, when asked and offered, one send-only G.711 audio track. Before ICE + DTLS are up, frames are dropped; once up,
 * onConnected lets the caller send the join burst (the cached GOP, sendBurst()), after which every frame goes out;
 * without a burst the viewer starts at the next keyframe. close() is idempotent and reports once through onClosed.
 */
export class WhepPeer {
  readonly id = randomUUID();
  readonly createdAt = Date.now();
  private readonly pc: RTCPeerConnection;
  private readonly track = new MediaStreamTrack({ kind: 'video' });
  private audioTrack: MediaStreamTrack | null = null;
  private started = false;
  private closed = false;
  private connectTimer: NodeJS.Timeout;
  framesSent = 0;

  constructor(private readonly o: WhepPeerOptions) {
    this.pc = new RTCPeerConnection({
      codecs: {
        audio: o.audio ? [G711_CODECS[o.audio]()] : [],
        video: [
          new RTCRtpCodecParameters({
            mimeType: 'video/H264',
            clockRate: 90000,
            rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
            parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
          }),
        ],
      },
      iceServers: [],
      iceUseIpv6: false,
      bundlePolicy: 'max-bundle',
      ...(o.portRange ? { icePortRange: o.portRange } : {}),
    });
    this.pc.addTransceiver(this.track, { direction: 'sendonly' });
    this.pc.connectionStateChange.subscribe((s) => {
      if (s === 'connected') {
        clearTimeout(this.connectTimer);
        if (!this.closed) this.o.onConnected?.(this);
      }
      if (s === 'failed' || s === 'closed' || s === 'disconnected') void this.close();
    });
    this.connectTimer = setTimeout(() => {
      if (this.pc.connectionState !== 'connected') void this.close();
    }, WEBRTC_CONNECT_TIMEOUT_MS);
    this.connectTimer.unref();
  }

  get connected(): boolean {
    return !this.closed && this.pc.connectionState === 'connected';
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The law of this peer's audio track, when its answer has one. */
  get audioLaw(): 'alaw' | 'ulaw' | undefined {
    return this.audioTrack ? this.o.audio : undefined;
  }

  /** Whether the answer has an audio track (asked for, and the offer had an audio section). */
  get hasAudio(): boolean {
    return this.audioTrack !== null;
  }

  /** SDP offer in, SDP answer out (with every host candidate: WHEP has no trickle from the server here). */
  async answer(offer: string): Promise<string> {
    if (this.o.audio && /^m=audio /m.test(offer)) {
      this.audioTrack = new MediaStreamTrack({ kind: 'audio' });
      this.pc.addTransceiver(this.audioTrack, { direction: 'sendonly' });
    }
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
    // DTLS server (a=setup:passive, RFC 5763 §5): the browser's ClientHello follows its ICE check at once. As the
    // client (werift's default, setup:active) our ClientHello waited ~110 ms for Chromium's answer on an idle machine.
    for (const t of this.pc.dtlsTransports) if (t.role === 'auto') t.role = 'server';
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    if (this.pc.iceGatheringState !== 'complete') {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, WEBRTC_GATHER_TIMEOUT_MS);
        this.pc.iceGatheringStateChange.subscribe((s) => {
          if (s === 'complete') (clearTimeout(t), resolve());
        });
      });
    }
    return withPublicHostCandidates(this.pc.localDescription!.sdp, this.o.publicHost);
  }

  /** Whether video goes out (a burst was sent, or a keyframe came after the connection was up). */
  get sending(): boolean {
    return this.started;
  }

  /** One frame's RTP packets (H264RtpPacketizer): forwarded from the join burst or the first keyframe on. */
  sendFrame(keyframe: boolean, packets: Buffer[]): void {
    if (!this.connected) return;
    if (!this.started && !keyframe) return;
    this.started = true;
    for (const p of packets) this.track.writeRtp(p);
    this.framesSent++;
  }

  /** The join burst (GopCache.burst(): a keyframe and the frames after it); the live frames follow it. */
  sendBurst(packets: Buffer[]): void {
    if (!this.connected || this.started) return;
    this.started = packets.length > 0;
    for (const p of packets) this.track.writeRtp(p);
  }

  /** G.711 RTP packets (G711RtpPacketizer of this peer's law); dropped until the connection is up. */
  sendAudio(packets: Buffer[]): void {
    if (!this.audioTrack || !this.connected) return;
    for (const p of packets) this.audioTrack.writeRtp(p);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.connectTimer);
    this.o.onClosed(this);
    try {
      this.track.stop();
      this.audioTrack?.stop();
      await this.pc.close();
    } catch {
      /* closing a half-negotiated connection may throw inside werift; nothing is left to free */
    }
  }
}
