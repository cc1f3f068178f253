import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { H264RtpPacketizer, type PsAccessUnit } from '@gb/gb28181';
import { GatewayError } from '../common/gateway-error';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { StreamsService, type Stream } from '../streams/streams.service';
import { looksLikeVideoOffer, MAX_WHEP_OFFER_BYTES } from './webrtc-sdp';
import { WhepPeer } from './whep-peer';

/** One stream's WebRTC side: one packetiser shared by its viewers, the stream's keep-alive hold while any is open. */
interface Feed {
  stream: Stream;
  packetizer: H264RtpPacketizer;
  peers: Set<WhepPeer>;
  detach: () => void;
}

/**
 * WebRTC playback over WHEP (draft-ietf-wish-whep): an SDP offer in, an answer out, one werift peer connection per
 * viewer. The stream's H.264 access units go out as RTP without transcoding: packetised once per stream
 * (H264RtpPacketizer, RFC 6184) and written to each viewer's track. At most WEBRTC_MAX_PEERS peers at once; a peer
 * that never connects (WEBRTC_CONNECT_TIMEOUT_MS) or goes away is closed and forgotten; the stream's end closes its
 * peers. A viewer holds its stream open like an FLV connection and counts in its `viewers`.
 */
@Injectable()
export class WebRtcService implements OnApplicationShutdown {
  private readonly log = new Logger('WebRTC');
  private readonly peers = new Map<string, { peer: WhepPeer; streamId: string }>();
  private readonly feeds = new Map<string, Feed>();
  private readonly portRange?: [number, number];

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly cfg: GatewayConfig,
    private readonly streams: StreamsService,
  ) {
    const { WEBRTC_PORT_MIN: min, WEBRTC_PORT_MAX: max } = cfg;
    if (min > 0 && max > min) this.portRange = [min, max];
  }

  /** Peers open now, per stream. */
  viewers(streamId: string): number {
    return this.feeds.get(streamId)?.peers.size ?? 0;
  }

  get peerCount(): number {
    return this.peers.size;
  }

  /** Peers whose ICE + DTLS are up. */
  get connectedPeers(): number {
    let n = 0;
    for (const p of this.peers.values()) if (p.peer.connected) n++;
    return n;
  }

  async offer(streamId: string, offer: string): Promise<{ peerId: string; answer: string }> {
    if (this.cfg.WEBRTC_MAX_PEERS === 0) throw new GatewayError('FEATURE_DISABLED', 'WebRTC playback is off (WEBRTC_MAX_PEERS=0)');
    if (Buffer.byteLength(offer) > MAX_WHEP_OFFER_BYTES || !looksLikeVideoOffer(offer)) {
      throw new GatewayError('VALIDATION_FAILED', 'the body must be an SDP offer (application/sdp) with a video section');
    }
    const s = this.streams.get(streamId);
    if (!s || !s.isOpen || !s.mediaSession) throw new GatewayError('STREAM_NOT_FOUND', `stream ${streamId} is not running`);
    const codec = s.mediaSession.info().codec;
    if (codec && codec !== 'h264') {
      throw new GatewayError('WEBRTC_UNSUPPORTED_CODEC', `WebRTC here carries H.264 only (browsers have no HEVC over WebRTC); this stream is ${codec}: use the HLS or FLV URL`);
    }
    if (this.peers.size >= this.cfg.WEBRTC_MAX_PEERS) {
      throw new GatewayError('WEBRTC_LIMIT', `${this.peers.size} WebRTC viewers already (WEBRTC_MAX_PEERS): use the FLV URL`);
    }
    const peer = new WhepPeer({ portRange: this.portRange, publicHost: this.cfg.WEBRTC_PUBLIC_HOST, onClosed: (p) => this.forget(p) });
    this.peers.set(peer.id, { peer, streamId });
    const feed = this.feedFor(s);
    feed.peers.add(peer);
    s.webrtcViewers = feed.peers.size;
    try {
      const answer = await peer.answer(offer);
      return { peerId: peer.id, answer };
    } catch (e) {
      await peer.close();
      throw new GatewayError('VALIDATION_FAILED', `cannot answer this offer: ${(e as Error).message}`, undefined, { cause: e });
    }
  }

  async remove(streamId: string, peerId: string): Promise<void> {
    const p = this.peers.get(peerId);
    if (!p || p.streamId !== streamId) throw new GatewayError('NOT_FOUND', `no WebRTC session ${peerId}`);
    await p.peer.close();
  }

  private feedFor(stream: Stream): Feed {
    let feed = this.feeds.get(stream.streamId);
    if (feed) return feed;
    const media = stream.media;
    const packetizer = new H264RtpPacketizer();
    const peers = new Set<WhepPeer>();
    const release = stream.hold();
    const onAu = (au: PsAccessUnit) => {
      if (au.kind !== 'video' || au.codec !== 'h264') return;
      const frame = packetizer.push(au);
      if (frame) for (const p of peers) p.sendFrame(frame.keyframe, frame.packets);
    };
    const onClosed = () => {
      for (const p of [...peers]) void p.close();
    };
    media.on('accessUnit', onAu);
    stream.once('closed', onClosed);
    feed = {
      stream, packetizer, peers,
      detach: () => {
        media.off('accessUnit', onAu);
        stream.off('closed', onClosed);
        this.streams.touch(stream.streamId); // the idle clock runs from now, as after an FLV viewer leaves
        release();
      },
    };
    this.feeds.set(stream.streamId, feed);
    return feed;
  }

  private forget(peer: WhepPeer): void {
    const p = this.peers.get(peer.id);
    if (!p) return;
    this.peers.delete(peer.id);
    const feed = this.feeds.get(p.streamId);
    if (!feed) return;
    feed.peers.delete(peer);
    feed.stream.webrtcViewers = feed.peers.size;
    if (feed.peers.size === 0) {
      feed.detach();
      this.feeds.delete(p.streamId);
    }
    this.log.debug?.(`${p.streamId}: WebRTC viewer ${peer.id} gone (${peer.framesSent} frames sent)`);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.peers.values()].map((p) => p.peer.close()));
  }
}
