import { Gb28181Error } from '../errors';

/** Most parameter sets (SPS/PPS/VPS) kept from one decoder configuration record. */
export const MAX_FLV_PARAMETER_SETS = 16;

export type FlvVideoCodec = 'h264' | 'h265';

/** One access unit out of an FLV video tag: Annex B (4-byte start codes), parameter sets in front of keyframes. */
export interface FlvVideoUnit {
  codec: FlvVideoCodec;
  data: Buffer;
  keyframe: boolean;
  /** Decoding time, ms (the RTMP message timestamp). */
  dts: number;
  /** Presentation time, ms (dts + composition time offset). */
  pts: number;
}

const START = Buffer.from([0, 0, 0, 1]);
/** FLV codec IDs (FLV spec v10.1 E.4.3.1); 12 is the HEVC extension Chinese CDNs and encoders use. */
const CODEC_AVC = 7;
const CODEC_HEVC_LEGACY = 12;
/** Enhanced RTMP (veovera enhanced-rtmp v1): IsExHeader bit, packet types and FourCCs. */
const EX_HEADER = 0x80;
const FOURCC_HEVC = 'hvc1';
const FOURCC_AVC = 'avc1';

function bad(msg: string): never {
  throw new Gb28181Error('RTMP_BAD_VIDEO', `FLV video: ${msg}`);
}

/**
 * Reads the video messages of an RTMP publish (FLV VIDEODATA bodies): AVC (codec ID 7), HEVC as codec ID 12 and
 * HEVC/AVC in enhanced RTMP (FourCC hvc1/avc1). The sequence header (AVCDecoderConfigurationRecord, ISO/IEC
 * 14496-15 §5.3.3.1; HEVCDecoderConfigurationRecord §8.3.3.1) gives the NAL length size and the parameter sets,
 * which are put in front of every keyframe that lacks them; length-prefixed NAL units become Annex B.
 * Throws Gb28181Error RTMP_BAD_VIDEO for a malformed body (the caller drops the peer); returns null for what carries
 * no picture (sequence header, end of sequence, other codecs).
 */
export class FlvVideoReader {
  private codec?: FlvVideoCodec;
  private lengthSize = 4;
  private paramSets: Buffer[] = [];

  /** The codec of the last sequence header; undefined before one. */
  get currentCodec(): FlvVideoCodec | undefined {
    return this.codec;
  }

  push(body: Buffer, timestamp: number): FlvVideoUnit | null {
    if (body.length < 1) bad('empty tag');
    const b0 = body[0]!;
    let codec: FlvVideoCodec;
    let packetType: number;
    let cts = 0;
    let p: number;
    let frameType: number;
    if (b0 & EX_HEADER) {
      frameType = (b0 >> 4) & 0x07;
      packetType = b0 & 0x0f;
      if (body.length < 5) bad('enhanced header shorter than 5 bytes');
      const fourcc = body.toString('latin1', 1, 5);
      if (fourcc === FOURCC_HEVC) codec = 'h265';
      else if (fourcc === FOURCC_AVC) codec = 'h264';
      else return null;
      p = 5;
      if (frameType === 5) return null; // command frame: no picture
      if (packetType === 1) {
        if (body.length < 8) bad('coded frames without the composition time');
        cts = body.readIntBE(5, 3);
        p = 8;
      } else if (packetType === 3) packetType = 1; // CodedFramesX: composition time 0
      else if (packetType !== 0) return null; // sequence end, metadata, MPEG-2 TS sequence start
    } else {
      frameType = b0 >> 4;
      const id = b0 & 0x0f;
      if (id === CODEC_AVC) codec = 'h264';
      else if (id === CODEC_HEVC_LEGACY) codec = 'h265';
      else return null;
      if (body.length < 5) bad('AVC/HEVC header shorter than 5 bytes');
      packetType = body[1]!;
      cts = body.readIntBE(2, 3);
      p = 5;
      if (packetType === 2) return null; // end of sequence
      if (packetType !== 0 && packetType !== 1) bad(`packet type ${packetType}`);
    }
    if (packetType === 0) {
      this.configure(codec, body.subarray(p));
      return null;
    }
    if (this.codec !== codec) return null; // pictures before (or without) their sequence header cannot be decoded
    const nals = this.nalUnits(body.subarray(p));
    if (!nals.length) return null;
    const keyframe = frameType === 1;
    const parts: Buffer[] = [];
    if (keyframe && !nals.some((n) => this.isParamSet(n))) for (const ps of this.paramSets) parts.push(START, ps);
    for (const n of nals) parts.push(START, n);
    return { codec, data: Buffer.concat(parts), keyframe, dts: timestamp, pts: timestamp + cts };
  }

  private isParamSet(nal: Buffer): boolean {
    if (this.codec === 'h264') {
      const t = nal[0]! & 0x1f;
      return t === 7 || t === 8;
    }
    const t = (nal[0]! >> 1) & 0x3f;
    return t >= 32 && t <= 34;
  }

  private nalUnits(data: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let p = 0;
    while (p < data.length) {
      if (p + this.lengthSize > data.length) bad('truncated NAL length');
      const n = data.readUIntBE(p, this.lengthSize);
      p += this.lengthSize;
      if (n === 0) continue;
      if (p + n > data.length) bad(`a NAL unit of ${n} bytes with ${data.length - p} left`);
      out.push(data.subarray(p, p + n));
      p += n;
    }
    return out;
  }

  private configure(codec: FlvVideoCodec, rec: Buffer): void {
    const sets: Buffer[] = [];
    const take = (at: number): number => {
      if (at + 2 > rec.length) bad('truncated parameter set length');
      const n = rec.readUInt16BE(at);
      if (at + 2 + n > rec.length) bad('truncated parameter set');
      if (n > 0) {
        if (sets.length >= MAX_FLV_PARAMETER_SETS) bad(`more than ${MAX_FLV_PARAMETER_SETS} parameter sets`);
        sets.push(Buffer.from(rec.subarray(at + 2, at + 2 + n)));
      }
      return at + 2 + n;
    };
    let lengthSize: number;
    if (codec === 'h264') {
      // version(8) profile(8) compat(8) level(8) | 111111 lengthSizeMinusOne(2) | 111 numSPS(5) | SPS... | numPPS(8) | PPS...
      if (rec.length < 7) bad('AVC decoder configuration record shorter than 7 bytes');
      lengthSize = (rec[4]! & 0x03) + 1;
      let p = 6;
      for (let i = 0, n = rec[5]! & 0x1f; i < n; i++) p = take(p);
      if (p >= rec.length) bad('AVC decoder configuration record without the PPS count');
      for (let i = 0, n = rec[p++]!; i < n; i++) p = take(p);
    } else {
      // 22 bytes of profile/level fields; byte 21 ends in lengthSizeMinusOne(2); byte 22 numOfArrays;
      // each array: completeness(1) reserved(1) NAL_unit_type(6) | numNalus(16) | (length(16) NAL)...
      if (rec.length < 23) bad('HEVC decoder configuration record shorter than 23 bytes');
      lengthSize = (rec[21]! & 0x03) + 1;
      let p = 23;
      for (let a = 0, arrays = rec[22]!; a < arrays; a++) {
        if (p + 3 > rec.length) bad('truncated NAL array');
        const n = rec.readUInt16BE(p + 1);
        p += 3;
        for (let i = 0; i < n; i++) p = take(p);
      }
    }
    if (lengthSize === 3) bad('NAL length size 3 is not allowed');
    this.codec = codec;
    this.lengthSize = lengthSize;
    this.paramSets = sets;
  }
}
