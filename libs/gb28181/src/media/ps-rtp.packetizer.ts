import { Gb28181Error } from '../errors';
import { KeyframeGate } from './keyframe-gate';
import { H264_NAL, H265_NAL, h264NalType, h265NalType, splitAnnexB } from './nal';
import type { PsAccessUnit } from './ps-demuxer';
import { PS_DEFAULT_RTP_PAYLOAD, PsMuxer, packetizePs } from './ps-muxer';
import { serializeRtpPacket } from './rtp.codec';
import { TIMESTAMP_WRAP_90K } from './timestamps';

/** RTP payload type of MPEG-2 PS in GB/T 28181 (a=rtpmap:96 PS/90000). */
export const PS_RTP_PAYLOAD_TYPE = 96;
/** A parameter set (SPS/PPS/VPS) larger than this is not kept for re-sending (real ones are < 100 bytes). */
export const MAX_PARAMETER_SET_BYTES = 4096;

export interface PsRtpPacketizerOptions {
  /** The RTP SSRC (GB/T 28181: the y= of the receiver's offer). */
  ssrc: number;
  payloadType?: number;
  /** Largest RTP payload (default PS_DEFAULT_RTP_PAYLOAD, 1400: one packet fits a 1500-byte MTU). */
  maxPayload?: number;
  /** The first sequence number (RFC 3550 §5.1 wants a random one; the caller draws it). */
  firstSequence?: number;
}

export interface PsRtpPacketizerStats {
  /** Video / audio frames sent as PS packs. */
  videoFrames: number;
  audioFrames: number;
  /** RTP packets made. */
  packets: number;
  /** Frames left out waiting for a keyframe (at the start, after resync()). */
  droppedFrames: number;
  /** Units of a codec PS over RTP here does not carry (video other than H.264/H.265, unknown audio). */
  unsupportedUnits: number;
  /** Keyframes that came without their parameter sets and got the last ones seen put in front. */
  parameterSetsAdded: number;
}

type ParamKind = 'vps' | 'sps' | 'pps';

/**
 * Access units (as PsDemuxer gives them) -> MPEG-2 PS (PsMuxer, GB/T 28181-2016 Annex C: a pack header per frame,
 * system header + PSM before each keyframe) -> RTP packets (RFC 3550): payload type 96, one SSRC, the sequence number
 * counting up, the timestamp = the frame's PTS (90 kHz, modulo 2^32), the marker bit on the last packet of each frame.
 *
 * - It starts at a keyframe, and starts again at the next one after `resync()` (a queue that overflowed): video before
 *   it and audio before it are dropped (counted), so what it sends always decodes from its first packet.
 * - A keyframe that lacks SPS/PPS (H.265: VPS/SPS/PPS) gets the last ones seen put in front: a camera that sends them
 *   only now and then must not leave a receiver that joined late without them.
 * - Audio (G.711 A/µ, AAC) goes in from the first keyframe whose PSM can declare it; when its codec first shows (or
 *   changes), it waits for the next keyframe, which carries a new PSM.
 *
 * Pure: bytes in, packets out (no socket, no clock). The caller sends each packet as a datagram or RFC 4571-framed.
 */
export class PsRtpPacketizer {
  readonly stats: PsRtpPacketizerStats = { videoFrames: 0, audioFrames: 0, packets: 0, droppedFrames: 0, unsupportedUnits: 0, parameterSetsAdded: 0 };
  private readonly gate = new KeyframeGate();
  private readonly payloadType: number;
  private readonly maxPayload: number;
  private seq: number;
  private muxer?: PsMuxer;
  private videoCodec?: 'h264' | 'h265';
  /** The audio codec the current muxer's PSM declares. */
  private muxAudio?: 'g711a' | 'g711u' | 'aac';
  /** The audio codec last seen in the stream (declared from the next keyframe on). */
  private seenAudio?: 'g711a' | 'g711u' | 'aac';
  private readonly params = new Map<ParamKind, Buffer>();
  private lastPts = 0;

  constructor(private readonly o: PsRtpPacketizerOptions) {
    if (!Number.isInteger(o.ssrc) || o.ssrc < 0 || o.ssrc > 0xffff_ffff) throw new Gb28181Error('RTP_BAD_SSRC', `SSRC ${o.ssrc} is not a 32-bit unsigned integer`);
    this.payloadType = o.payloadType ?? PS_RTP_PAYLOAD_TYPE;
    this.maxPayload = o.maxPayload ?? PS_DEFAULT_RTP_PAYLOAD;
    this.seq = (o.firstSequence ?? 0) & 0xffff;
  }

  /** Whether it drops everything until the next keyframe. */
  get waiting(): boolean {
    return this.gate.waiting;
  }

  /** The sequence number the next packet gets. */
  get nextSequence(): number {
    return this.seq;
  }

  /** Drops everything up to the next keyframe (the caller's queue overflowed). */
  resync(): void {
    this.gate.shut();
  }

  /**
   * The RTP packets of one access unit, [] when it is dropped. `ready`: whether the caller can take a keyframe now
   * (while false, even a keyframe is dropped and it keeps waiting).
   */
  push(au: PsAccessUnit, ready = true): Buffer[] {
    if (au.kind === 'video') return this.pushVideo(au, ready);
    return this.pushAudio(au);
  }

  private pushVideo(au: PsAccessUnit, ready: boolean): Buffer[] {
    if (au.codec !== 'h264' && au.codec !== 'h265') {
      this.stats.unsupportedUnits++;
      return [];
    }
    let data = au.data;
    if (au.keyframe) data = this.withParameterSets(data, au.codec);
    if (!this.gate.admit(au.keyframe, ready)) {
      this.stats.droppedFrames++;
      return [];
    }
    if (au.keyframe && (!this.muxer || this.videoCodec !== au.codec || this.muxAudio !== this.seenAudio)) {
      // A new PSM: the video codec, or an audio stream that showed up or changed since the last one.
      this.videoCodec = au.codec;
      this.muxAudio = this.seenAudio;
      this.muxer = new PsMuxer({ video: au.codec, audio: this.muxAudio });
    }
    if (!this.muxer) return [];
    const pts = this.ptsOf(au);
    this.stats.videoFrames++;
    return this.packets(this.muxer.muxVideo(data, pts, au.keyframe), pts);
  }

  private pushAudio(au: PsAccessUnit): Buffer[] {
    if (au.codec !== 'g711a' && au.codec !== 'g711u' && au.codec !== 'aac') {
      this.stats.unsupportedUnits++;
      return [];
    }
    this.seenAudio = au.codec;
    // Before the first keyframe, or in a stream whose PSM does not declare this codec yet: dropped.
    if (this.gate.waiting || !this.muxer || this.muxAudio !== au.codec) {
      this.stats.droppedFrames++;
      return [];
    }
    const pts = this.ptsOf(au);
    this.stats.audioFrames++;
    return this.packets(this.muxer.muxAudio(au.data, pts), pts);
  }

  private ptsOf(au: PsAccessUnit): number {
    const t = au.pts ?? au.dts;
    if (t !== undefined && Number.isFinite(t) && t >= 0) this.lastPts = t % TIMESTAMP_WRAP_90K;
    return this.lastPts;
  }

  private packets(ps: Buffer, pts: number): Buffer[] {
    const payloads = packetizePs(ps, this.maxPayload);
    const timestamp = pts % 0x1_0000_0000;
    return payloads.map((payload, i) => {
      const pkt = serializeRtpPacket({ payloadType: this.payloadType, sequenceNumber: this.seq, timestamp, ssrc: this.o.ssrc, marker: i === payloads.length - 1, payload });
      this.seq = (this.seq + 1) & 0xffff;
      this.stats.packets++;
      return pkt;
    });
  }

  /** Keeps the parameter sets of a keyframe, and puts the kept ones in front of a keyframe that lacks them. */
  private withParameterSets(au: Buffer, codec: 'h264' | 'h265'): Buffer {
    const kindOf = (nal: Buffer): ParamKind | undefined => {
      if (codec === 'h264') {
        const t = h264NalType(nal);
        return t === H264_NAL.SPS ? 'sps' : t === H264_NAL.PPS ? 'pps' : undefined;
      }
      const t = h265NalType(nal);
      return t === H265_NAL.VPS ? 'vps' : t === H265_NAL.SPS ? 'sps' : t === H265_NAL.PPS ? 'pps' : undefined;
    };
    const present = new Set<ParamKind>();
    for (const nal of splitAnnexB(au)) {
      const k = kindOf(nal);
      if (!k) continue;
      present.add(k);
      if (nal.length <= MAX_PARAMETER_SET_BYTES) this.params.set(k, Buffer.from(nal));
    }
    const wanted: ParamKind[] = codec === 'h264' ? ['sps', 'pps'] : ['vps', 'sps', 'pps'];
    const missing = wanted.filter((k) => !present.has(k) && this.params.has(k));
    if (missing.length === 0) return au;
    this.stats.parameterSetsAdded++;
    const start = Buffer.from([0, 0, 0, 1]);
    return Buffer.concat([...missing.flatMap((k) => [start, this.params.get(k)!]), au]);
  }
}
