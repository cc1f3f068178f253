import { Gb28181Error } from '../errors';
import { ADTS_MAX_FRAME_BYTES, AAC_SAMPLE_RATES, adtsFrame, type AacConfig } from '../media/aac.codec';

/** Largest G.711 payload taken from one FLV audio tag: one second at 8 kHz (encoders send 20..128 ms). */
export const MAX_FLV_G711_BYTES = 8000;
/** Largest raw AAC frame taken from one FLV audio tag: what still fits one ADTS frame (the format's own bound). */
export const MAX_FLV_AAC_RAW_BYTES = ADTS_MAX_FRAME_BYTES - 7;

export type FlvAudioCodec = 'aac' | 'g711a' | 'g711u';

/** One audio frame out of an FLV audio tag, ready for a program stream: AAC as one ADTS frame, G.711 as its bytes. */
export interface FlvAudioFrame {
  codec: FlvAudioCodec;
  data: Buffer;
  /** ms (the RTMP message timestamp). */
  timestamp: number;
}

/** What a tag gave: a frame, nothing (a configuration), or a frame of a format that is not carried (counted by the caller). */
export type FlvAudioResult = { kind: 'frame'; frame: FlvAudioFrame } | { kind: 'config' } | { kind: 'dropped'; reason: string };

/**
 * FLV AUDIODATA (FLV spec v10.1 §E.4.2.1):
 *
 *   SoundFormat(4) SoundRate(2) SoundSize(1) SoundType(1) | AAC: AACPacketType(8) then AudioSpecificConfig or raw frame
 *
 * SoundFormat 10 = AAC, 7 = G.711 A-law, 8 = G.711 µ-law; the others (MP3 2/14, Nellymoser 4-6, Speex 11, PCM 0/1/3,
 * ...) are dropped.
 */
const SOUND_FORMAT_G711A = 7;
const SOUND_FORMAT_G711U = 8;
const SOUND_FORMAT_AAC = 10;
const AAC_PACKET_CONFIG = 0;
const AAC_PACKET_RAW = 1;
/** Audio object types with an explicit SBR/PS extension (14496-3 §1.6.2.1): 5 = SBR (HE-AAC), 29 = PS (HE-AAC v2). */
const AOT_SBR = 5;
const AOT_PS = 29;

function bad(msg: string): never {
  throw new Gb28181Error('RTMP_BAD_AUDIO', `FLV audio: ${msg}`);
}

/**
 * The AudioSpecificConfig (14496-3 §1.6.2.1) as far as ADTS needs it: object type, sampling frequency index, channel
 * configuration. HE-AAC signalled explicitly (object type 5 or 29) gives its core (the extension's object type and
 * the core rate): an ADTS stream carries HE-AAC as LC with implicit SBR. Throws RTMP_BAD_AUDIO for what ADTS cannot
 * carry: an escape or explicit frequency (index 15), object types beyond 4, channel configuration 0 (a PCE) or > 7.
 *
 *   audioObjectType(5) samplingFrequencyIndex(4) channelConfiguration(4) [SBR: extensionSamplingFrequencyIndex(4) audioObjectType(5)]
 */
export function readAudioSpecificConfig(b: Buffer): AacConfig {
  if (b.length < 2) bad(`AudioSpecificConfig of ${b.length} bytes`);
  let bits = 0;
  let have = 0;
  let pos = 0;
  const read = (n: number): number => {
    while (have < n) {
      if (pos >= b.length) bad('AudioSpecificConfig is truncated');
      bits = ((bits << 8) | b[pos++]!) >>> 0;
      have += 8;
    }
    have -= n;
    return (bits >>> have) & ((1 << n) - 1);
  };
  let objectType = read(5);
  if (objectType === 31) bad('escaped audio object type');
  const rateIndex = read(4);
  if (rateIndex >= AAC_SAMPLE_RATES.length) bad(`sampling frequency index ${rateIndex} (explicit or reserved rates are not carried)`);
  const channels = read(4);
  if (channels < 1 || channels > 7) bad(`channel configuration ${channels}`);
  if (objectType === AOT_SBR || objectType === AOT_PS) {
    read(4); // extensionSamplingFrequencyIndex (the SBR output rate; ADTS names the core rate)
    objectType = read(5);
  }
  if (objectType < 1 || objectType > 4) bad(`audio object type ${objectType} does not fit an ADTS profile`);
  return { objectType, rateIndex, channels };
}

/**
 * Reads the audio messages of an RTMP publish: AAC (a sequence header with the AudioSpecificConfig, then raw frames,
 * each returned as one ADTS frame) and mono G.711 A/µ-law (returned as is). Throws Gb28181Error RTMP_BAD_AUDIO for a
 * malformed tag (empty, truncated AAC header, bad config, a frame past its bound): the caller drops the peer. Raw AAC
 * before any configuration, stereo G.711 and other formats are returned as `dropped`.
 */
export class FlvAudioReader {
  private config?: AacConfig;

  /** The configuration of the last AAC sequence header. */
  get aacConfig(): AacConfig | undefined {
    return this.config;
  }

  push(body: Buffer, timestamp: number): FlvAudioResult {
    if (body.length < 1) bad('empty tag');
    const format = body[0]! >> 4;
    if (format === SOUND_FORMAT_AAC) {
      if (body.length < 2) bad('AAC tag without its packet type');
      const type = body[1]!;
      const payload = body.subarray(2);
      if (type === AAC_PACKET_CONFIG) {
        this.config = readAudioSpecificConfig(payload);
        return { kind: 'config' };
      }
      if (type !== AAC_PACKET_RAW) bad(`AAC packet type ${type}`);
      if (!this.config) return { kind: 'dropped', reason: 'AAC frame before its sequence header' };
      if (payload.length === 0) return { kind: 'dropped', reason: 'empty AAC frame' };
      if (payload.length > MAX_FLV_AAC_RAW_BYTES) bad(`an AAC frame of ${payload.length} bytes (max ${MAX_FLV_AAC_RAW_BYTES})`);
      return { kind: 'frame', frame: { codec: 'aac', data: adtsFrame(this.config, payload), timestamp } };
    }
    if (format === SOUND_FORMAT_G711A || format === SOUND_FORMAT_G711U) {
      if ((body[0]! & 1) !== 0) return { kind: 'dropped', reason: 'stereo G.711' };
      const data = body.subarray(1);
      if (data.length === 0) return { kind: 'dropped', reason: 'empty G.711 frame' };
      if (data.length > MAX_FLV_G711_BYTES) bad(`a G.711 frame of ${data.length} bytes (max ${MAX_FLV_G711_BYTES})`);
      return { kind: 'frame', frame: { codec: format === SOUND_FORMAT_G711A ? 'g711a' : 'g711u', data: Buffer.from(data), timestamp } };
    }
    return { kind: 'dropped', reason: `sound format ${format}` };
  }
}
