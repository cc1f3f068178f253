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
  onClosed: (peer: WhepPeer) => void;
}

/**
 * One WHEP viewer: a werift RTCPeerConnection with one send-only H.264 video track (RFC 6184, packetization-mode=1).
 * It forwards RTP frames from the first keyframe on; before ICE + DTLS are up, frames are dropped (the viewer starts
 * at the next keyframe after that). close() is idempotent and reports once through onClosed.
 */
export class WhepPeer {
  readonly id = randomUUID();
  readonly createdAt = Date.now();
  private readonly pc: RTCPeerConnection;
  private readonly track = new MediaStreamTrack({ kind: 'video' });
  private started = false;
  private closed = false;
  private connectTimer: NodeJS.Timeout;
  framesSent = 0;

  constructor(private readonly o: WhepPeerOptions) {
    this.pc = new RTCPeerConnection({
      codecs: {
        audio: [],
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
      if (s === 'connected') clearTimeout(this.connectTimer);
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

  /** SDP offer in, SDP answer out (with every host candidate: WHEP has no trickle from the server here). */
  async answer(offer: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
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

  /** One frame's RTP packets (H264RtpPacketizer): forwarded from the first keyframe after the connection is up. */
  sendFrame(keyframe: boolean, packets: Buffer[]): void {
    if (!this.connected) return;
    if (!this.started && !keyframe) return;
    this.started = true;
    for (const p of packets) this.track.writeRtp(p);
    this.framesSent++;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.connectTimer);
    this.o.onClosed(this);
    try {
      this.track.stop();
      await this.pc.close();
    } catch {
      /* closing a half-negotiated connection may throw inside werift; nothing is left to free */
    }
  }
}
