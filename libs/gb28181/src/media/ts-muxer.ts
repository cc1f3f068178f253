import { Gb28181Error } from '../errors';
import { h264NalType, h265NalType, splitAnnexB } from './nal';
import { mpegCrc32, writePesTimestamp } from './ps-stream-types';
import { TIMESTAMP_WRAP_90K } from './timestamps';

/**
 * Access units to an MPEG-2 transport stream (ISO/IEC 13818-1 §2.4.3), for HLS segments without an ffmpeg in the path.
 * One program: H.264 video (stream_type 0x1B, ITU-T H.222.0 Table 2-34) or H.265 video (0x24) carrying the PCR,
 * optionally AAC in ADTS (stream_type 0x0F). Pure: bytes and 90 kHz timestamps in, 188-byte packets out.
 *
 *   TS packet (§2.4.3.2), 188 bytes:
 *   | sync 0x47 (8) | TEI(1) PUSI(1) priority(1) PID(13) | scrambling(2) adaptation_field_control(2) CC(4) |
 *   | adaptation field (optional): length(8) flags(8) [PCR(48)] stuffing 0xFF... | payload |
 *
 *   PCR (§2.4.3.5): program_clock_reference_base(33) reserved(6) program_clock_reference_extension(9)
 */
export const TS_PACKET_SIZE = 188;
export const TS_SYNC_BYTE = 0x47;
export const TS_PID_PAT = 0x0000;
/** The PIDs ffmpeg's mpegts muxer uses too (PMT 0x1000, first stream 0x100), so probes see familiar streams. */
export const TS_PID_PMT = 0x1000;
export const TS_PID_VIDEO = 0x0100;
export const TS_PID_AUDIO = 0x0101;
export const TS_STREAM_TYPE_H264 = 0x1b;
export const TS_STREAM_TYPE_AAC = 0x0f;
export const TS_STREAM_TYPE_H265 = 0x24;
/** Largest access unit accepted (bytes): a bound on what a peer can make us packetize in one call. */
export const TS_MAX_AU_BYTES = 16 * 1024 * 1024;
/** 2^33: PTS, DTS and PCR base wrap here (§2.4.3.7); the one constant is TIMESTAMP_WRAP_90K (timestamps.ts). */
export const TS_TIMESTAMP_WRAP = TIMESTAMP_WRAP_90K;
/** The PCR runs this far (90 kHz) behind the video DTS: a decoder buffers that long before the first frame is due. */
export const TS_PCR_DELAY_90K = 9000;

const PES_STREAM_ID_VIDEO = 0xe0;
const PES_STREAM_ID_AUDIO = 0xc0;
const AUD = Buffer.from([0, 0, 0, 1, 0x09, 0xf0]);
/** H.265 access unit delimiter (NAL type 35, layer 0, temporal id 1; pic_type 2 = I, P or B; rbsp stop bit). */
const AUD_H265 = Buffer.from([0, 0, 0, 1, 0x46, 0x01, 0x50]);
/** Parameter set NAL types kept to repeat on keyframes: H.264 SPS, PPS; H.265 VPS, SPS, PPS. */
const PARAMETER_SETS = { h264: [7, 8], h265: [32, 33, 34] } as const;
const START_CODE = Buffer.from([0, 0, 0, 1]);

export interface TsMuxerOptions {
  /** The video codec; default H.264. */
  video?: 'h264' | 'h265';
  /** Add an AAC (ADTS) elementary stream to the program. */
  audio?: 'aac';
}

export class TsMuxer {
  private readonly cc = new Map<number, number>();
  /** The last parameter sets seen, by NAL type (SPS/PPS; VPS/SPS/PPS for H.265). */
  private readonly parameterSets = new Map<number, Buffer>();

  constructor(private readonly opts: TsMuxerOptions = {}) {}

  /** PAT and PMT, two packets: each HLS segment starts with them so it decodes on its own. */
  tables(): Buffer {
    return Buffer.concat([this.psiPacket(TS_PID_PAT, pat()), this.psiPacket(TS_PID_PMT, pmt(!!this.opts.audio, this.opts.video === 'h265' ? TS_STREAM_TYPE_H265 : TS_STREAM_TYPE_H264))]);
  }

  /**
   * One H.264 (or, with `video: 'h265'`, H.265) access unit (Annex B) as a PES on the video PID, timed by `pts`/`dts` on one timeline (MediaTimeline's
   * output; written modulo 2^33, so a timeline that passes 2^33 wraps as §2.4.3.7 allows), the first packet carrying the PCR (and the random access
   * indicator on a keyframe). An access unit delimiter is prepended when missing (§2.14: every AVC access unit in a TS
   * starts with one; §2.17 for HEVC), and a keyframe without SPS/PPS (VPS/SPS/PPS) gets the last ones seen, so each segment decodes on its own.
   */
  muxVideo(au: Buffer, pts: number, dts: number, keyframe: boolean): Buffer {
    const p = timestamp(pts, 'PTS');
    const d = timestamp(dts, 'DTS');
    if (au.length > TS_MAX_AU_BYTES) throw new Gb28181Error('TS_AU_TOO_LARGE', `access unit of ${au.length} bytes exceeds ${TS_MAX_AU_BYTES}`);
    const parts: Buffer[] = [];
    const h265 = this.opts.video === 'h265';
    const nalType = h265 ? h265NalType : h264NalType;
    // H.264: NAL 9; H.265: NAL 35 (H.222.0 §2.14, §2.17: each access unit in a TS starts with its delimiter).
    if (firstNalType(au, h265) !== (h265 ? 35 : 9)) parts.push(h265 ? AUD_H265 : AUD);
    if (keyframe) {
      const kinds: readonly number[] = PARAMETER_SETS[h265 ? 'h265' : 'h264'];
      let hasSps = false;
      for (const n of splitAnnexB(au)) {
        const t = nalType(n);
        if (!kinds.includes(t)) continue;
        this.parameterSets.set(t, Buffer.from(n));
        if (t === kinds[kinds.length - 2]) hasSps = true;
      }
      if (!hasSps && kinds.every((k) => this.parameterSets.has(k))) for (const k of kinds) parts.push(START_CODE, this.parameterSets.get(k)!);
    }
    parts.push(au);
    const withDts = d !== p;
    const header = Buffer.alloc(withDts ? 19 : 14);
    header.writeUIntBE(0x000001, 0, 3);
    header[3] = PES_STREAM_ID_VIDEO;
    // PES_packet_length 0: unbounded, allowed for video in a TS (§2.4.3.7); frames often exceed 65535 bytes.
    header.writeUInt16BE(0, 4);
    header[6] = 0x84; // '10', not scrambled, data_alignment_indicator
    header[7] = withDts ? 0xc0 : 0x80;
    header[8] = withDts ? 10 : 5;
    writePesTimestamp(header, 9, withDts ? 3 : 2, p);
    if (withDts) writePesTimestamp(header, 14, 1, d);
    const pcr = (d - TS_PCR_DELAY_90K + TS_TIMESTAMP_WRAP) % TS_TIMESTAMP_WRAP;
    return this.packetize(TS_PID_VIDEO, header, parts, pcr, keyframe);
  }

  /** ADTS frame(s) as one PES on the audio PID. Throws TS_NO_AUDIO_STREAM when the muxer was made without audio. */
  muxAudio(adts: Buffer, pts: number): Buffer {
    if (!this.opts.audio) throw new Gb28181Error('TS_NO_AUDIO_STREAM', 'this transport stream has no audio stream');
    const p = timestamp(pts, 'PTS');
    if (adts.length > 0xffff - 8) throw new Gb28181Error('TS_AU_TOO_LARGE', `audio unit of ${adts.length} bytes does not fit one PES`);
    const header = Buffer.alloc(14);
    header.writeUIntBE(0x000001, 0, 3);
    header[3] = PES_STREAM_ID_AUDIO;
    header.writeUInt16BE(8 + adts.length, 4);
    header[6] = 0x84;
    header[7] = 0x80;
    header[8] = 5;
    writePesTimestamp(header, 9, 2, p);
    return this.packetize(TS_PID_AUDIO, header, [adts], null, false);
  }

  private nextCc(pid: number): number {
    const c = this.cc.get(pid) ?? 0;
    this.cc.set(pid, (c + 1) & 0x0f);
    return c;
  }

  private psiPacket(pid: number, section: Buffer): Buffer {
    const b = Buffer.alloc(TS_PACKET_SIZE, 0xff);
    b[0] = TS_SYNC_BYTE;
    b[1] = 0x40 | ((pid >> 8) & 0x1f); // payload_unit_start_indicator
    b[2] = pid & 0xff;
    b[3] = 0x10 | this.nextCc(pid); // payload only
    b[4] = 0; // pointer_field
    section.copy(b, 5);
    return b;
  }

  /**
   * Splits header+payload over as many packets as needed. The last packet (and a first one carrying a PCR) gets an
   * adaptation field; stuffing bytes in it fill the packet to 188 (§2.4.3.5), never padding after the payload.
   */
  private packetize(pid: number, header: Buffer, payload: readonly Buffer[], pcr: number | null, randomAccess: boolean): Buffer {
    // The PES header and the payload parts are read in place as one sequence (no concatenated copy of the access unit).
    const pieces = [header, ...payload];
    let total = 0;
    for (const p of pieces) total += p.length;
    const firstAf = pcr !== null ? 8 : randomAccess ? 2 : 0;
    const n = total <= 184 - firstAf ? 1 : 1 + Math.ceil((total - (184 - firstAf)) / 184);
    // Every byte of every packet is written below (header, adaptation field with stuffing, payload): no zero fill needed.
    const out = Buffer.allocUnsafe(n * TS_PACKET_SIZE);
    let taken = 0; // bytes of header+payload written so far
    let piece = 0;
    let pieceOff = 0;
    for (let i = 0; i < n; i++) {
      const o = i * TS_PACKET_SIZE;
      const first = i === 0;
      const left = total - taken;
      const flagsLen = first && firstAf > 0 ? firstAf - 1 : 0; // flags byte + PCR, after the length byte
      let afTotal = flagsLen > 0 ? 1 + flagsLen : 0; // whole adaptation field, length byte included
      if (left < 184 - afTotal) afTotal = 184 - left;
      out[o] = TS_SYNC_BYTE;
      out[o + 1] = (first ? 0x40 : 0) | ((pid >> 8) & 0x1f);
      out[o + 2] = pid & 0xff;
      out[o + 3] = (afTotal > 0 ? 0x30 : 0x10) | this.nextCc(pid);
      let w = o + 4;
      if (afTotal > 0) {
        out[w] = afTotal - 1; // adaptation_field_length
        if (afTotal > 1) {
          let flags = 0;
          if (first && randomAccess) flags |= 0x40;
          if (first && pcr !== null) flags |= 0x10;
          out[w + 1] = flags;
          let a = w + 2;
          if (first && pcr !== null) {
            writePcr(out, a, pcr);
            a += 6;
          }
          out.fill(0xff, a, w + afTotal);
        }
        w += afTotal;
      }
      const end = o + TS_PACKET_SIZE;
      while (w < end) {
        const src = pieces[piece]!;
        const c = Math.min(end - w, src.length - pieceOff);
        src.copy(out, w, pieceOff, pieceOff + c);
        w += c;
        taken += c;
        pieceOff += c;
        if (pieceOff === src.length) {
          piece++;
          pieceOff = 0;
        }
      }
    }
    return out;
  }
}

/** PCR base in 90 kHz, extension 0 (§2.4.3.5): 33 + 6 reserved + 9 bits over six bytes. */
export function writePcr(b: Buffer, o: number, base90k: number): void {
  const v = base90k % TS_TIMESTAMP_WRAP;
  const hi = Math.floor(v / 2); // top 32 bits of the 33-bit base
  b.writeUInt32BE(hi >>> 0, o);
  b[o + 4] = ((v & 1) << 7) | 0x7e; // last base bit, 6 reserved '1's, extension bit 8 = 0
  b[o + 5] = 0;
}

/** Reads the 33-bit PCR base written by `writePcr`. */
export function readPcrBase(b: Buffer, o: number): number {
  return b.readUInt32BE(o) * 2 + (b[o + 4]! >> 7);
}

/** Program association section (§2.4.4.3): program 1 -> PMT PID. */
function pat(): Buffer {
  return section(0x00, 0x0001, Buffer.from([0x00, 0x01, 0xe0 | (TS_PID_PMT >> 8), TS_PID_PMT & 0xff]));
}

/** Program map section (§2.4.4.8): PCR on the video PID, no descriptors. */
function pmt(audio: boolean, videoType: number): Buffer {
  const streams = [videoType, TS_PID_VIDEO, ...(audio ? [TS_STREAM_TYPE_AAC, TS_PID_AUDIO] : [])];
  const body = Buffer.alloc(4 + (streams.length / 2) * 5);
  body.writeUInt16BE(0xe000 | TS_PID_VIDEO, 0); // reserved '111', PCR_PID
  body.writeUInt16BE(0xf000, 2); // reserved '1111', program_info_length 0
  for (let i = 0; i < streams.length; i += 2) {
    const o = 4 + (i / 2) * 5;
    body[o] = streams[i]!;
    body.writeUInt16BE(0xe000 | streams[i + 1]!, o + 1);
    body.writeUInt16BE(0xf000, o + 3); // ES_info_length 0
  }
  return section(0x02, 0x0001, body);
}

/**
 *   table_id(8) | section_syntax_indicator(1)=1 '0' reserved(2) section_length(12) | id(16) |
 *   reserved(2) version_number(5)=0 current_next_indicator(1)=1 | section_number(8)=0 | last_section_number(8)=0 |
 *   body | CRC_32
 */
function section(tableId: number, id: number, body: Buffer): Buffer {
  const s = Buffer.alloc(8 + body.length + 4);
  s[0] = tableId;
  s.writeUInt16BE(0xb000 | (5 + body.length + 4), 1);
  s.writeUInt16BE(id, 3);
  s[5] = 0xc1;
  s[6] = 0;
  s[7] = 0;
  body.copy(s, 8);
  s.writeUInt32BE(mpegCrc32(s.subarray(0, s.length - 4)), s.length - 4);
  return s;
}

function timestamp(ts: number, what: string): number {
  if (!Number.isFinite(ts)) throw new Gb28181Error('TS_BAD_TIMESTAMP', `${what} ${ts} is not a finite number`);
  const r = Math.round(ts) % TS_TIMESTAMP_WRAP;
  return r < 0 ? r + TS_TIMESTAMP_WRAP : r;
}

/** The type of the first NAL unit after a leading start code, or -1. */
function firstNalType(au: Buffer, h265: boolean): number {
  let i = 0;
  while (i < au.length && i < 4 && au[i] === 0) i++;
  if (!(i >= 2 && au[i] === 1 && i + 1 < au.length)) return -1;
  return h265 ? (au[i + 1]! >> 1) & 0x3f : au[i + 1]! & 0x1f;
}
