import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { G711RtpPacketizer, H264RtpPacketizer, type G711Law, type PsAccessUnit } from '@gb/gb28181';
import { GatewayError } from '../common/gateway-error';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config.schema';
import { DeviceQueriesService } from '../devices/device-queries.service';
import { StreamsService, type Stream } from '../streams/streams.service';
import { flvGopFrames, flvSnapshot } from './flv-gop';
import { GopCache } from './gop-cache';
import { looksLikeVideoOffer, MAX_WHEP_OFFER_BYTES } from './webrtc-sdp';
import { WhepPeer } from './whep-peer';

/** A stream's camera is asked for a keyframe (DeviceControl IFameCmd) at most this often, however many viewers join. */
export const WEBRTC_KEYFRAME_REQUEST_MIN_INTERVAL_MS = 2000;

/**
 * One stream's WebRTC side: one H.264 packetiser and GOP cache shared by its viewers, a G.711 packetiser per law its
 * viewers were answered with, the stream's keep-alive hold while any viewer is open.
 */
interface Feed {
  stream: Stream;
  packetizer: H264RtpPacketizer;
  gop: GopCache;
  audio: Partial<Record<G711Law, G711RtpPacketizer>>;
  peers: Set<WhepPeer>;
  /** Connected viewers that get the cached GOP in front of the next live frame. */
  joining: Set<WhepPeer>;
  lastKeyframeRequest: number;
  detach: () => void;
}

/**
 * WebRTC playback over WHEP (draft-ietf-wish-whep): an SDP offer in, an answer out, one werift peer connection per
 * viewer. The stream's H.264 access units go out as RTP without transcoding: packetised once per stream
 * (H264RtpPacketizer, RFC 6184) and written to each viewer's track. At most WEBRTC_MAX_PEERS peers at once; a peer
 * that never connects (WEBRTC_CONNECT_TIMEOUT_MS) or goes away is closed and forgotten; the stream's end closes its
 * peers. A viewer holds its stream open like an FLV connection and counts in its `viewers`.
 *
 * Fast start: as soon as a viewer's DTLS is up it gets the stream's frames from the latest keyframe (GopCache, with
 * their timestamps pulled together so they are decoded at once, not played behind live); when nothing is cached the
 * camera is asked for a keyframe (GB/T 28181 DeviceControl IFameCmd). G.711 audio from the camera goes out as
 * PCMA/PCMU (RFC 3551) on an audio track, without transcoding (µ-law re-coded as A-law when the track was answered
 * before the camera's audio showed its law); AAC audio is not carried (it would need an Opus encode).
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
    @Optional() private readonly queries?: DeviceQueriesService,
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
    // G.711 passes through; a camera whose audio is not known yet gets a PCMA track (µ-law would be re-coded); AAC: none.
    const ac = s.mediaSession.info().audioCodec;
    const audio: G711Law | undefined = ac === 'aac' ? undefined : ac === 'g711u' ? 'ulaw' : 'alaw';
    const peer = new WhepPeer({
      portRange: this.portRange, publicHost: this.cfg.WEBRTC_PUBLIC_HOST, audio,
      onConnected: (p) => {
        const f = this.feeds.get(streamId);
        if (f) this.joined(f, p);
      },
      onClosed: (p) => this.forget(p),
    });
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
    const gop = new GopCache();
    const audio: Feed['audio'] = {};
    const peers = new Set<WhepPeer>();
    const joining = new Set<WhepPeer>();
    // The GOP so far, from the FLV fan-out (this feed starts with its first viewer, after the stream's keyframe).
    for (const f of flvGopFrames(flvSnapshot(media.flv))) {
      const frame = packetizer.push(f);
      if (frame) gop.push(frame);
    }
    const release = stream.hold();
    const onAu = (au: PsAccessUnit) => {
      if (au.kind === 'audio' && (au.codec === 'g711a' || au.codec === 'g711u')) {
        const from: G711Law = au.codec === 'g711a' ? 'alaw' : 'ulaw';
        const out: Partial<Record<G711Law, Buffer[]>> = {};
        for (const p of peers) {
          const law = p.audioLaw;
          if (!law || !p.connected) continue;
          const packets = (out[law] ??= (audio[law] ??= new G711RtpPacketizer(law)).push(au, from));
          p.sendAudio(packets);
        }
        return;
      }
      if (au.kind !== 'video' || au.codec !== 'h264') return;
      const frame = packetizer.push(au);
      if (!frame) return;
      if (joining.size) {
        const burst = frame.keyframe ? [] : gop.burst(frame.timestamp);
        for (const p of joining) p.sendBurst(burst);
        joining.clear();
      }
      gop.push(frame);
      for (const p of peers) p.sendFrame(frame.keyframe, frame.packets);
    };
    const onClosed = () => {
      for (const p of [...peers]) void p.close();
    };
    media.on('accessUnit', onAu);
    stream.once('closed', onClosed);
    feed = {
      stream, packetizer, gop, audio, peers, joining, lastKeyframeRequest: 0,
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

  /**
   * A viewer's DTLS is up: the cached GOP goes out in front of the next live frame (its timestamps set just below that
   * frame's, GopCache.burst), or, nothing cached, the camera is asked for a keyframe.
   */
  private joined(feed: Feed, peer: WhepPeer): void {
    if (peer.sending || !feed.peers.has(peer)) return;
    if (feed.gop.length) feed.joining.add(peer);
    else this.requestKeyframe(feed);
  }

  /** DeviceControl IFameCmd (GB/T 28181-2016 A.2.3) to the stream's channel, at most once per interval; best effort. */
  private requestKeyframe(feed: Feed): void {
    const now = Date.now();
    if (!this.queries || now - feed.lastKeyframeRequest < WEBRTC_KEYFRAME_REQUEST_MIN_INTERVAL_MS) return;
    feed.lastKeyframeRequest = now;
    const { deviceId, channelId, streamId } = feed.stream;
    this.queries.sendControl(deviceId, channelId, 'DeviceControl', { IFameCmd: 'Send' }).catch((e: unknown) => {
      this.log.debug?.(`${streamId}: keyframe request not taken: ${(e as Error).message}`);
    });
  }

  private forget(peer: WhepPeer): void {
    const p = this.peers.get(peer.id);
    if (!p) return;
    this.peers.delete(peer.id);
    const feed = this.feeds.get(p.streamId);
    if (!feed) return;
    feed.peers.delete(peer);
    feed.joining.delete(peer);
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
