import { Gb28181Error } from '../errors';
import { mpegCrc32, PS_START, PS_STREAM_TYPE, writePesTimestamp } from './ps-stream-types';

export const PS_VIDEO_STREAM_ID = 0xe0;
export const PS_AUDIO_STREAM_ID = 0xc0;
/** PES_packet_length is 16 bits. */
export const PES_MAX_PACKET_LENGTH = 65535;
/** Default RTP payload size for `packetizePs` (fits a 1500-byte MTU with IP/UDP/RTP headers). */
export const PS_DEFAULT_RTP_PAYLOAD = 1400;

export interface PsMuxerOptions {
  video: 'h264' | 'h265';
  audio?: 'g711a' | 'g711u' | 'aac';
  /**
   * List the audio stream in the system header and PSM (default true). false writes audio PES the map does not name, as
   * some cameras do when their audio starts later: a reader can only guess the codec (ADTS AAC) from the payload.
   */
  declareAudio?: boolean;
}

/** program_mux_rate in units of 50 bytes/s (§2.5.3.4); 2.5 Mb/s, informative only. */
const MUX_RATE = 6250;
const PES_HEADER_PTS = 9 + 5;

/**
 * Writes an MPEG-2 program stream the way GB/T 28181 cameras do (Annex C): a pack header before
 * each frame, a system header and PSM before each keyframe, video PES 0xE0 and audio PES 0xC0,
 * frames larger than a PES split into several PES with the same PTS.
 */
export class PsMuxer {
  private readonly video: 'h264' | 'h265';
  private readonly audio?: 'g711a' | 'g711u' | 'aac';
  /** The audio stream is named in the system header and PSM. */
  private readonly declared: boolean;
  private psmVersion = 0;

  constructor(opts: PsMuxerOptions) {
    this.video = opts.video;
    this.audio = opts.audio;
    this.declared = opts.audio !== undefined && opts.declareAudio !== false;
  }

  /**
   * One video access unit as a pack. `audioFirst` (an audio frame of the declared codec) goes into the same pack right
   * after the PSM and before the video: a reader that identifies streams from the first bytes (ffmpeg with a small
   * probesize) then finds the audio stream before a keyframe that may be larger than what it reads.
   */
  muxVideo(accessUnit: Buffer, pts90k: number, keyframe: boolean, audioFirst?: Buffer): Buffer {
    checkTs(pts90k);
    const parts: Buffer[] = [packHeader(pts90k)];
    if (keyframe) parts.push(this.systemHeader(), this.psm());
    if (audioFirst) {
      if (!this.audio) throw new Gb28181Error('PS_MUX_NO_AUDIO', 'PsMuxer was created without an audio codec');
      pushPes(parts, PS_AUDIO_STREAM_ID, audioFirst, pts90k);
    }
    pushPes(parts, PS_VIDEO_STREAM_ID, accessUnit, pts90k);
    return Buffer.concat(parts);
  }

  muxAudio(frame: Buffer, pts90k: number): Buffer {
    if (!this.audio) throw new Gb28181Error('PS_MUX_NO_AUDIO', 'PsMuxer was created without an audio codec');
    checkTs(pts90k);
    const parts: Buffer[] = [packHeader(pts90k)];
    pushPes(parts, PS_AUDIO_STREAM_ID, frame, pts90k);
    return Buffer.concat(parts);
  }

  /** System header (§2.5.3.5): rate bound, one video and at most one audio stream. */
  private systemHeader(): Buffer {
    const streams = this.declared ? 2 : 1;
    const b = Buffer.alloc(12 + 3 * streams);
    b.writeUInt32BE(0x000001bb, 0);
    b.writeUInt16BE(6 + 3 * streams, 4);
    b[6] = 0x80 | ((MUX_RATE >> 15) & 0x7f); // marker + rate_bound[21..15]
    b[7] = (MUX_RATE >> 7) & 0xff;
    b[8] = ((MUX_RATE & 0x7f) << 1) | 1;
    b[9] = ((this.declared ? 1 : 0) << 2) | 0; // audio_bound, fixed_flag 0, CSPS_flag 0
    b[10] = 0xe0 | 1; // system_audio_lock, system_video_lock, marker, video_bound = 1
    b[11] = 0x7f; // packet_rate_restriction 0, reserved
    let o = 12;
    // stream_id, '11', P-STD_buffer_bound_scale, P-STD_buffer_size_bound(13)
    b[o++] = PS_VIDEO_STREAM_ID;
    b.writeUInt16BE(0xe000 | 0x2000 | 400, o); // scale 1 (x1024 bytes), 400 KiB
    o += 2;
    if (this.declared) {
      b[o++] = PS_AUDIO_STREAM_ID;
      b.writeUInt16BE(0xc000 | 32, o); // scale 0 (x128 bytes), 4 KiB
    }
    return b;
  }

  /** Program stream map (§2.5.4) with the video and audio stream types and a CRC-32. */
  private psm(): Buffer {
    const entries: [number, number][] = [[this.video === 'h264' ? PS_STREAM_TYPE.H264 : PS_STREAM_TYPE.H265, PS_VIDEO_STREAM_ID]];
    if (this.declared && this.audio) {
      const t = this.audio === 'aac' ? PS_STREAM_TYPE.AAC : this.audio === 'g711a' ? PS_STREAM_TYPE.G711A : PS_STREAM_TYPE.G711U;
      entries.push([t, PS_AUDIO_STREAM_ID]);
    }
    const mapLen = 4 * entries.length;
    const len = 6 + mapLen + 4;
    const b = Buffer.alloc(6 + len);
    b.writeUInt32BE(0x000001bc, 0);
    b.writeUInt16BE(len, 4);
    b[6] = 0x80 | 0x60 | (this.psmVersion & 0x1f); // current_next_indicator, reserved, version
    b[7] = 0xff; // reserved + marker
    b.writeUInt16BE(0, 8); // program_stream_info_length
    b.writeUInt16BE(mapLen, 10);
    let o = 12;
    for (const [type, id] of entries) {
      b[o] = type;
      b[o + 1] = id;
      b.writeUInt16BE(0, o + 2);
      o += 4;
    }
    b.writeUInt32BE(mpegCrc32(b.subarray(0, o)), o);
    return b;
  }
}

function checkTs(ts: number): void {
  if (!Number.isFinite(ts) || ts < 0) throw new Gb28181Error('PS_MUX_BAD_TIMESTAMP', `timestamp ${ts} must be a non-negative number`);
}

/** MPEG-2 pack header (§2.5.3.3), SCR = pts (base) with extension 0, no stuffing. */
function packHeader(scr: number): Buffer {
  const b = Buffer.alloc(14);
  b.writeUInt32BE(0x00000100 | PS_START.PACK, 0);
  const v = scr % 0x200000000;
  const hi = Math.floor(v / 0x40000000) & 7; // SCR[32..30]
  const lo = v % 0x40000000; // SCR[29..0]
  b[4] = 0x40 | (hi << 3) | 0x04 | ((lo >> 28) & 3);
  b[5] = (lo >> 20) & 0xff;
  b[6] = (((lo >> 15) & 0x1f) << 3) | 0x04 | ((lo >> 13) & 3);
  b[7] = (lo >> 5) & 0xff;
  b[8] = ((lo & 0x1f) << 3) | 0x04; // SCR[4..0], marker, SCR_ext[8..7] = 0
  b[9] = 0x01; // SCR_ext[6..0] = 0, marker
  b[10] = (MUX_RATE >> 14) & 0xff;
  b[11] = (MUX_RATE >> 6) & 0xff;
  b[12] = ((MUX_RATE & 0x3f) << 2) | 0x03;
  b[13] = 0xf8; // reserved, pack_stuffing_length = 0
  return b;
}

/** Appends PES packets carrying `es`, each with the PTS (cameras repeat it on every piece of a frame). */
function pushPes(parts: Buffer[], streamId: number, es: Buffer, pts: number): void {
  const maxPayload = PES_MAX_PACKET_LENGTH - (PES_HEADER_PTS - 6);
  let o = 0;
  do {
    const n = Math.min(maxPayload, es.length - o);
    const h = Buffer.alloc(PES_HEADER_PTS);
    h.writeUInt32BE(0x00000100 | streamId, 0);
    h.writeUInt16BE(PES_HEADER_PTS - 6 + n, 4);
    h[6] = 0x80 | (o === 0 ? 0x04 : 0); // '10', data_alignment_indicator on the first piece
    h[7] = 0x80; // PTS only
    h[8] = 5;
    writePesTimestamp(h, 9, 0x2, pts);
    parts.push(h, es.subarray(o, o + n));
    o += n;
  } while (o < es.length);
}

/** Cuts a PS byte stream into RTP payloads of at most `maxPayload` bytes (subarrays, no copy). */
export function packetizePs(ps: Buffer, maxPayload = PS_DEFAULT_RTP_PAYLOAD): Buffer[] {
  if (!Number.isInteger(maxPayload) || maxPayload < 1) {
    throw new Gb28181Error('PS_MUX_BAD_PAYLOAD_SIZE', `maxPayload ${maxPayload} must be a positive integer`);
  }
  const out: Buffer[] = [];
  for (let o = 0; o < ps.length; o += maxPayload) out.push(ps.subarray(o, Math.min(ps.length, o + maxPayload)));
  return out;
}
