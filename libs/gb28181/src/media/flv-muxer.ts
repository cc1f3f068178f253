import { Gb28181Error } from '../errors';
import { audioSpecificConfig, type AacConfig } from './aac.codec';
import { h264NalType, splitAnnexB } from './nal';

/**
 * H.264 access units (Annex B) to FLV tags (Adobe FLV v10.1 §E.4.3, ISO/IEC 14496-15 §5.2.4.1), for HTTP-FLV without
 * an ffmpeg in the path: the first tag can leave as soon as the first keyframe arrives.
 *
 *   FLV tag:  TagType(8) DataSize(24) Timestamp(24) TimestampExtended(8) StreamID(24)=0 | Data | PreviousTagSize(32)
 *   video data: FrameType(4) CodecID(4)=7 | AVCPacketType(8) CompositionTime(SI24) | payload
 *     AVCPacketType 0: AVCDecoderConfigurationRecord; 1: NAL units, each with a 4-byte length
 *   audio data (§E.4.2): SoundFormat(4)=10 SoundRate(2)=3 SoundSize(1)=1 SoundType(1)=1 (fixed for AAC) | AACPacketType(8) | payload
 *     AACPacketType 0: AudioSpecificConfig; 1: one raw AAC frame
 */
export const FLV_TAG_VIDEO = 9;
export const FLV_TAG_AUDIO = 8;
/** The AudioTagHeader byte of every AAC tag: AAC, and the rate/size/type bits FLV requires for it (44 kHz, 16 bit, stereo). */
const FLV_AAC_HEADER = 0xaf;

export class FlvMuxer {
  private sps: Buffer | null = null;
  private pps: Buffer | null = null;
  private configSent: { sps: Buffer; pps: Buffer } | null = null;
  private baseDts: number | null = null;
  private lastMs = 0;
  private audioConfigSent: Buffer | null = null;
  private lastAudioMs = 0;

  /** 'FLV', version 1, flags (video; audio too when `audio`), header size 9, then PreviousTagSize0. */
  static header(opts: { audio?: boolean } = {}): Buffer {
    return Buffer.from([0x46, 0x4c, 0x56, 0x01, opts.audio ? 0x05 : 0x01, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00]);
  }

  /**
   * Tags for one raw AAC frame (no ADTS header) of `config`, timed `pts90k` on the video's timeline: the AAC sequence
   * header first when the config is new or changed (so audio may start, or change, after the video did), then the
   * frame. Nothing before the first video frame (tag times count from it) or before it in time; audio tag times never
   * go back (FLV timestamps must not decrease within a track).
   */
  audioTags(raw: Buffer, config: AacConfig, pts90k: number): Buffer[] {
    if (this.baseDts === null) return [];
    const ms = Math.round((pts90k - this.baseDts) / 90);
    if (!(ms >= 0)) return [];
    const at = Math.max(this.lastAudioMs, ms);
    this.lastAudioMs = at;
    const out: Buffer[] = [];
    const asc = audioSpecificConfig(config);
    if (!this.audioConfigSent?.equals(asc)) {
      out.push(tag(FLV_TAG_AUDIO, at, Buffer.concat([Buffer.from([FLV_AAC_HEADER, 0]), asc])));
      this.audioConfigSent = asc;
    }
    const t = Buffer.allocUnsafe(11 + 2 + raw.length + 4);
    writeTagHeader(t, FLV_TAG_AUDIO, 2 + raw.length, at);
    t[11] = FLV_AAC_HEADER;
    t[12] = 1;
    raw.copy(t, 13);
    t.writeUInt32BE(11 + 2 + raw.length, 13 + raw.length);
    out.push(t);
    return out;
  }

  /**
   * Tags for one access unit: the decoder configuration first when SPS/PPS are new or changed, then the frame.
   * Nothing until the first keyframe with SPS and PPS. Times in 90 kHz on one timeline that does not wrap (MediaTimeline's
   * output, not the camera's 33-bit PTS); tags are timed in ms from the first frame, so a stream starts near 0 whatever
   * the camera's clock says. A DTS that goes back keeps the previous tag time (FLV timestamps must not decrease).
   */
  videoTags(au: Buffer, pts90k: number, dts90k: number, keyframe: boolean): Buffer[] {
    const nals = splitAnnexB(au);
    const frameNals: Buffer[] = [];
    for (const n of nals) {
      const t = h264NalType(n);
      if (t === 7) this.sps = n;
      else if (t === 8) this.pps = n;
      else if (t !== 9) frameNals.push(n); // access unit delimiters are not carried in FLV
    }
    const out: Buffer[] = [];
    if (!this.sps || !this.pps) return out;
    if (this.configSent === null && !keyframe) return out;
    this.baseDts ??= dts90k;
    const dtsMs = Math.max(this.lastMs, Math.round((dts90k - this.baseDts) / 90));
    this.lastMs = dtsMs;
    const ctsMs = Math.round((pts90k - dts90k) / 90);
    if (!this.configSent || !this.configSent.sps.equals(this.sps) || !this.configSent.pps.equals(this.pps)) {
      out.push(tag(FLV_TAG_VIDEO, dtsMs, Buffer.concat([Buffer.from([0x17, 0x00, 0, 0, 0]), avcDecoderConfig(this.sps, this.pps)])));
      this.configSent = { sps: this.sps, pps: this.pps };
    }
    if (frameNals.length === 0) return out;
    // One allocation per frame: tag header, video tag header, length-prefixed NAL units, PreviousTagSize.
    const dataSize = 5 + frameNals.reduce((a, n) => a + 4 + n.length, 0);
    const t = Buffer.allocUnsafe(11 + dataSize + 4);
    writeTagHeader(t, FLV_TAG_VIDEO, dataSize, dtsMs);
    t[11] = (keyframe ? 0x10 : 0x20) | 7;
    t[12] = 1;
    t.writeIntBE(Math.max(-0x800000, Math.min(0x7fffff, ctsMs)), 13, 3);
    let o = 16;
    for (const n of frameNals) {
      t.writeUInt32BE(n.length, o);
      n.copy(t, o + 4);
      o += 4 + n.length;
    }
    t.writeUInt32BE(11 + dataSize, o);
    out.push(t);
    return out;
  }
}

/** AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.2.4.1.1) with one SPS and one PPS. */
export function avcDecoderConfig(sps: Buffer, pps: Buffer): Buffer {
  if (sps.length < 4) throw new Gb28181Error('FLV_BAD_SPS', `SPS of ${sps.length} bytes is too short`);
  return Buffer.concat([
    Buffer.from([1, sps[1]!, sps[2]!, sps[3]!, 0xff, 0xe1]),
    u16(sps.length),
    sps,
    Buffer.from([1]),
    u16(pps.length),
    pps,
  ]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function tag(type: number, timestampMs: number, data: Buffer): Buffer {
  const t = Buffer.allocUnsafe(11 + data.length + 4);
  writeTagHeader(t, type, data.length, timestampMs);
  data.copy(t, 11);
  t.writeUInt32BE(11 + data.length, 11 + data.length);
  return t;
}

/**
 * type(1) dataSize(3) timestamp(3) timestampExtended(1) streamId(3) = 0. The timestamp is 32 bits of ms, the extended
 * byte its top 8 bits (wraps after 2^32 ms ≈ 49.7 days).
 */
function writeTagHeader(t: Buffer, type: number, dataSize: number, timestampMs: number): void {
  const ms = timestampMs % 0x100000000;
  t[0] = type;
  t.writeUIntBE(dataSize, 1, 3);
  t.writeUIntBE(ms % 0x1000000, 4, 3);
  t[7] = Math.floor(ms / 0x1000000) & 0xff;
  t[8] = 0;
  t[9] = 0;
  t[10] = 0;
}
