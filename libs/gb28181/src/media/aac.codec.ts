import { Gb28181Error } from '../errors';

/**
 * AAC framing for the outputs: ADTS headers (ISO/IEC 13818-7 §6.2 / 14496-3 §1.A.2.2), the AudioSpecificConfig FLV and
 * MP4 want (14496-3 §1.6.2.1), and a silent AAC-LC frame. Pure: bytes in, values out.
 *
 *   ADTS fixed header:    syncword(12)=0xFFF ID(1) layer(2)=0 protection_absent(1) profile(2)=objectType-1
 *                         sampling_frequency_index(4) private(1) channel_configuration(3) original(1) home(1)
 *   ADTS variable header: copyright_id(2) aac_frame_length(13)=header+payload adts_buffer_fullness(11)
 *                         number_of_raw_data_blocks_in_frame(2)   [CRC(16) when protection_absent = 0]
 *   AudioSpecificConfig:  audioObjectType(5) samplingFrequencyIndex(4) channelConfiguration(4) GASpecificConfig(3)=0
 */
export interface AacConfig {
  /** Audio object type: 2 = AAC-LC (the one browsers and GB/T 28181 cameras use). */
  objectType: number;
  /** sampling_frequency_index into AAC_SAMPLE_RATES. */
  rateIndex: number;
  /** channel_configuration: 1 mono, 2 stereo. */
  channels: number;
}

/** sampling_frequency_index -> Hz (14496-3 Table 1.16). */
export const AAC_SAMPLE_RATES: readonly number[] = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
/** PCM samples per channel in one AAC-LC frame (raw_data_block). */
export const AAC_SAMPLES_PER_FRAME = 1024;
/** aac_frame_length is 13 bits: no ADTS frame is longer (a bound the format itself sets). */
export const ADTS_MAX_FRAME_BYTES = 8191;
const ADTS_HEADER_BYTES = 7;

/** The output AAC of the gateway: LC, 16 kHz, mono (the rate the G.711 transcode produces and the silence fills). */
export const GATEWAY_AAC_CONFIG: Readonly<AacConfig> = { objectType: 2, rateIndex: 8, channels: 1 };

export function aacSampleRate(c: AacConfig): number {
  const r = AAC_SAMPLE_RATES[c.rateIndex];
  if (r === undefined) throw new Gb28181Error('AAC_BAD_CONFIG', `sampling frequency index ${c.rateIndex} is reserved`);
  return r;
}

/** One frame's length in 90 kHz ticks (5760 at 16 kHz); not always whole (44.1 kHz), so callers keep the fraction. */
export function aacFrameDuration90k(c: AacConfig): number {
  return (AAC_SAMPLES_PER_FRAME * 90_000) / aacSampleRate(c);
}

export function sameAacConfig(a: AacConfig, b: AacConfig): boolean {
  return a.objectType === b.objectType && a.rateIndex === b.rateIndex && a.channels === b.channels;
}

/** The two-byte AudioSpecificConfig (FLV AACPacketType 0, MP4 esds) for an object type below 31. */
export function audioSpecificConfig(c: AacConfig): Buffer {
  checkConfig(c);
  return Buffer.from([(c.objectType << 3) | (c.rateIndex >> 1), ((c.rateIndex & 1) << 7) | (c.channels << 3)]);
}

export interface AdtsFrame {
  config: AacConfig;
  /** The raw_data_block (what FLV and MP4 carry), a view into the input. */
  raw: Buffer;
  /** The whole ADTS frame, header included (what MPEG-TS and PS carry), a view into the input. */
  frame: Buffer;
}

/**
 * Reads the ADTS frame at `off`: null when fewer bytes than the frame are there yet. Throws ADTS_BAD_HEADER for bytes
 * that are not an ADTS header (no syncword, layer ≠ 0, reserved rate, a length shorter than the header) and
 * ADTS_UNSUPPORTED for headers we do not carry (several raw data blocks in one frame, object types beyond LC's family).
 */
export function readAdtsFrame(b: Buffer, off = 0): AdtsFrame | null {
  if (b.length - off < ADTS_HEADER_BYTES) return null;
  if (b[off] !== 0xff || (b[off + 1]! & 0xf6) !== 0xf0) throw new Gb28181Error('ADTS_BAD_HEADER', `no ADTS syncword at byte ${off}`);
  const protectionAbsent = b[off + 1]! & 1;
  const objectType = ((b[off + 2]! >> 6) & 3) + 1;
  const rateIndex = (b[off + 2]! >> 2) & 0x0f;
  const channels = ((b[off + 2]! & 1) << 2) | (b[off + 3]! >> 6);
  const length = ((b[off + 3]! & 3) << 11) | (b[off + 4]! << 3) | (b[off + 5]! >> 5);
  const blocks = b[off + 6]! & 3;
  const header = protectionAbsent ? 7 : 9;
  if (rateIndex >= AAC_SAMPLE_RATES.length) throw new Gb28181Error('ADTS_BAD_HEADER', `reserved sampling frequency index ${rateIndex}`);
  if (length <= header) throw new Gb28181Error('ADTS_BAD_HEADER', `frame length ${length} does not exceed its ${header}-byte header`);
  if (blocks !== 0) throw new Gb28181Error('ADTS_UNSUPPORTED', `${blocks + 1} raw data blocks in one ADTS frame`);
  if (channels === 0) throw new Gb28181Error('ADTS_UNSUPPORTED', 'channel configuration 0 (a program config element) is not carried');
  if (b.length - off < length) return null;
  return { config: { objectType, rateIndex, channels }, raw: b.subarray(off + header, off + length), frame: b.subarray(off, off + length) };
}

/** A 7-byte ADTS header (no CRC) + `raw`: one frame as MPEG-TS / PS carry it. */
export function adtsFrame(c: AacConfig, raw: Buffer): Buffer {
  checkConfig(c);
  if (c.objectType > 4) throw new Gb28181Error('AAC_BAD_CONFIG', `object type ${c.objectType} does not fit an ADTS profile`);
  const length = ADTS_HEADER_BYTES + raw.length;
  if (length > ADTS_MAX_FRAME_BYTES) throw new Gb28181Error('AAC_FRAME_TOO_LARGE', `AAC frame of ${raw.length} bytes does not fit ADTS (${ADTS_MAX_FRAME_BYTES})`);
  const out = Buffer.allocUnsafe(length);
  out[0] = 0xff;
  out[1] = 0xf1; // MPEG-4, layer 0, no CRC
  out[2] = ((c.objectType - 1) << 6) | (c.rateIndex << 2) | (c.channels >> 2);
  out[3] = ((c.channels & 3) << 6) | (length >> 11);
  out[4] = (length >> 3) & 0xff;
  out[5] = ((length & 7) << 5) | 0x1f; // buffer fullness 0x7FF (variable rate)
  out[6] = 0xfc; // ... fullness, one raw data block
  raw.copy(out, ADTS_HEADER_BYTES);
  return out;
}

/**
 * A raw AAC-LC frame that decodes to 1024 samples of silence (one single_channel_element, or a channel_pair_element
 * for stereo, with every section zero; the frames hls.js fills audio gaps with): what the outputs carry where the
 * camera sent no audio. Independent of the sampling rate.
 */
export function aacSilentFrame(channels: number): Buffer {
  if (channels === 1) return Buffer.from([0x00, 0xc8, 0x00, 0x80, 0x23, 0x80]);
  if (channels === 2) return Buffer.from([0x21, 0x00, 0x49, 0x90, 0x02, 0x19, 0x00, 0x23, 0x80]);
  throw new Gb28181Error('AAC_BAD_CONFIG', `no silent frame for ${channels} channels`);
}

/**
 * ADTS frames out of a byte stream in arbitrary chunks (an encoder's stdout, a camera's PES payloads). Bytes that are
 * not a header are skipped up to the next syncword (counted in `skippedBytes`); at most ADTS_MAX_FRAME_BYTES are held.
 */
export class AdtsFramer {
  private buf: Buffer = Buffer.alloc(0);
  skippedBytes = 0;

  push(chunk: Buffer): AdtsFrame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: AdtsFrame[] = [];
    let off = 0;
    while (off < this.buf.length) {
      let f: AdtsFrame | null;
      try {
        f = readAdtsFrame(this.buf, off);
      } catch {
        const next = this.buf.indexOf(0xff, off + 1);
        const to = next < 0 ? this.buf.length : next;
        this.skippedBytes += to - off;
        off = to;
        continue;
      }
      if (!f) break;
      out.push({ config: f.config, raw: Buffer.from(f.raw), frame: Buffer.from(f.frame) });
      off += f.frame.length;
    }
    this.buf = off >= this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(off));
    return out;
  }
}

function checkConfig(c: AacConfig): void {
  if (!Number.isInteger(c.objectType) || c.objectType < 1 || c.objectType > 30) throw new Gb28181Error('AAC_BAD_CONFIG', `audio object type ${c.objectType} is out of 1..30`);
  if (!Number.isInteger(c.rateIndex) || c.rateIndex < 0 || c.rateIndex >= AAC_SAMPLE_RATES.length) throw new Gb28181Error('AAC_BAD_CONFIG', `sampling frequency index ${c.rateIndex} is out of range`);
  if (!Number.isInteger(c.channels) || c.channels < 1 || c.channels > 7) throw new Gb28181Error('AAC_BAD_CONFIG', `channel configuration ${c.channels} is out of 1..7`);
}
