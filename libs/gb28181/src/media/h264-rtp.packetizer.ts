import { H264_NAL, h264NalType, splitAnnexB } from './nal';
import { MAX_PARAMETER_SET_BYTES } from './ps-rtp.packetizer';
import { serializeRtpPacket } from './rtp.codec';

/**
 * Largest RTP payload for WebRTC: 1200 bytes leaves room for the RTP header, header extensions, SRTP's auth tag and the
 * UDP/IP headers inside a 1280-byte IPv6 minimum MTU (what libwebrtc itself uses).
 */
export const H264_RTP_DEFAULT_MAX_PAYLOAD = 1200;
/** Smallest payload that still lets a FU-A carry a byte of NAL data (indicator + header + 1). */
export const H264_RTP_MIN_PAYLOAD = 3;
/** RFC 6184 §5.8: NAL unit type 28 = FU-A. */
export const H264_FU_A = 28;
/** H.264 Table 7-1: filler data. */
const H264_NAL_FILLER = 12;
/** A video frame is at most this long after 90 kHz ticks stop: a unit without a PTS gets the last one + this (25 fps). */
export const H264_RTP_DEFAULT_FRAME_TICKS = 3600;

export interface H264RtpPacketizerOptions {
  payloadType?: number;
  ssrc?: number;
  /** Largest RTP payload (default H264_RTP_DEFAULT_MAX_PAYLOAD). */
  maxPayload?: number;
  /** First sequence number (RFC 3550 §5.1: random; the caller draws it). */
  firstSequence?: number;
}

export interface H264RtpFrame {
  /** True when the frame is an IDR access unit carrying SPS and PPS ahead of its slices: a receiver may start here. */
  keyframe: boolean;
  /** RTP timestamp (90 kHz, modulo 2^32). */
  timestamp: number;
  /** Serialised RTP packets, the marker bit on the last one (RFC 6184 §5.1). */
  packets: Buffer[];
}

export interface H264RtpPacketizerStats {
  frames: number;
  packets: number;
  /** Frames left out before the first keyframe with parameter sets. */
  droppedFrames: number;
  /** Keyframes that lacked SPS/PPS and got the last ones seen put in front. */
  parameterSetsAdded: number;
}

/**
 * H.264 access units (Annex B, as PsDemuxer gives them) -> RTP per RFC 6184 in non-interleaved mode
 * (packetization-mode=1): a NAL unit that fits goes as a single NAL unit packet (§5.6), a larger one as FU-A
 * fragments (§5.8). STAP-A is not used. Access unit delimiters and filler data are left out (§5.6 allows it; they
 * carry nothing a decoder needs).
 *
 *   FU indicator   FU header
 *   +-+-+-+-+-+-+-+-+ +-+-+-+-+-+-+-+-+
 *   |F|NRI|  Type=28| |S|E|R|  Type   |
 *   +-+-+-+-+-+-+-+-+ +-+-+-+-+-+-+-+-+
 *
 * Every packet of a frame carries the frame's PTS as its timestamp (§5.1); the marker is set on the last packet of the
 * access unit. Output starts at the first IDR for which SPS and PPS are known; a later IDR without them gets the last
 * ones seen put in front, so a viewer that starts at any keyframe can decode.
 *
 * Pure: bytes in, packets out. Payload type and SSRC are placeholders a WebRTC sender may rewrite.
 */
export class H264RtpPacketizer {
  readonly stats: H264RtpPacketizerStats = { frames: 0, packets: 0, droppedFrames: 0, parameterSetsAdded: 0 };
  private readonly payloadType: number;
  private readonly ssrc: number;
  private readonly maxPayload: number;
  private seq: number;
  private sps: Buffer | null = null;
  private pps: Buffer | null = null;
  private started = false;
  private lastTimestamp: number | null = null;

  constructor(o: H264RtpPacketizerOptions = {}) {
    this.payloadType = o.payloadType ?? 96;
    this.ssrc = o.ssrc ?? 0;
    this.maxPayload = Math.max(H264_RTP_MIN_PAYLOAD, o.maxPayload ?? H264_RTP_DEFAULT_MAX_PAYLOAD);
    this.seq = (o.firstSequence ?? 0) & 0xffff;
  }

  /** One access unit in; null while waiting for the first keyframe (or when the unit holds no NAL unit to send). */
  push(au: { data: Buffer; pts?: number; dts?: number }): H264RtpFrame | null {
    const nals = splitAnnexB(au.data).filter((n) => n.length > 0);
    let hasSps = false;
    let hasPps = false;
    let idr = false;
    for (const n of nals) {
      const t = h264NalType(n);
      if (t === H264_NAL.SPS && n.length <= MAX_PARAMETER_SET_BYTES) ((this.sps = Buffer.from(n)), (hasSps = true));
      else if (t === H264_NAL.PPS && n.length <= MAX_PARAMETER_SET_BYTES) ((this.pps = Buffer.from(n)), (hasPps = true));
      else if (t === H264_NAL.IDR) idr = true;
    }
    const keyframe = idr && this.sps !== null && this.pps !== null;
    if (!this.started && !keyframe) {
      this.stats.droppedFrames++;
      return null;
    }
    this.started = true;
    const units = nals.filter((n) => {
      const t = h264NalType(n);
      return t !== H264_NAL.AUD && t !== H264_NAL_FILLER;
    });
    if (keyframe && (!hasSps || !hasPps)) {
      const firstVcl = units.findIndex((n) => isVcl(h264NalType(n)));
      const add = [...(hasSps ? [] : [this.sps!]), ...(hasPps ? [] : [this.pps!])];
      units.splice(firstVcl < 0 ? 0 : firstVcl, 0, ...add);
      this.stats.parameterSetsAdded++;
    }
    if (!units.length) return null;
    const pts = au.pts ?? au.dts;
    const timestamp = pts !== undefined ? pts % 2 ** 32 : ((this.lastTimestamp ?? 0) + H264_RTP_DEFAULT_FRAME_TICKS) % 2 ** 32;
    this.lastTimestamp = timestamp;
    const payloads: Buffer[] = [];
    for (const n of units) {
      if (n.length <= this.maxPayload) {
        payloads.push(n);
        continue;
      }
      // RFC 6184 §5.8: the NAL header's F and NRI go in the FU indicator, its type in the FU header; the header byte
      // itself is not repeated in the fragments.
      const indicator = (n[0]! & 0xe0) | H264_FU_A;
      const type = n[0]! & 0x1f;
      const chunk = this.maxPayload - 2;
      for (let off = 1; off < n.length; off += chunk) {
        const end = Math.min(n.length, off + chunk);
        const header = (off === 1 ? 0x80 : 0) | (end === n.length ? 0x40 : 0) | type;
        payloads.push(Buffer.concat([Buffer.from([indicator, header]), n.subarray(off, end)]));
      }
    }
    const packets = payloads.map((payload, i) => {
      const p = serializeRtpPacket({ payloadType: this.payloadType, ssrc: this.ssrc, sequenceNumber: this.seq, timestamp, marker: i === payloads.length - 1, payload });
      this.seq = (this.seq + 1) & 0xffff;
      return p;
    });
    this.stats.frames++;
    this.stats.packets += packets.length;
    return { keyframe, timestamp, packets };
  }
}

function isVcl(t: number): boolean {
  return t >= 1 && t <= 5;
}
