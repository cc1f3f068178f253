import { Gb28181Error } from '../errors';
import { G711_SAMPLE_RATE, decodeG711, encodeG711, type G711Law } from './g711.codec';
import { PsDemuxer } from './ps-demuxer';
import { PsMuxer, packetizePs } from './ps-muxer';
import { parseRtpPacket, serializeRtpPacket } from './rtp.codec';
import type { VoicePayload } from './voice-sdp';

/** Samples per voice RTP packet: 20 ms at 8 kHz (the G.711 ptime GB/T 28181 devices use). */
export const VOICE_SAMPLES_PER_PACKET = 160;
/** Largest voice RTP payload decoded (G.711 at 20–60 ms is 160–480 bytes; PS adds a pack and PES header). */
export const VOICE_MAX_RTP_PAYLOAD_BYTES = 4096;
/** PS demuxer bounds for voice (a PES of 20–100 ms of G.711 is under 1 KiB). */
const VOICE_PS_MAX_PES_BYTES = 16 * 1024;
const VOICE_PS_MAX_BUFFERED_BYTES = 64 * 1024;

/**
 * 8 kHz mono 16-bit PCM to voice RTP (what the platform sends a device in broadcast and talk): G.711 of `law`, in
 * 20 ms packets, raw (PT 8 / 0, 8 kHz timestamps, RFC 3551) or muxed as MPEG-2 PS audio PES (PT 96, 90 kHz
 * timestamps, GB/T 28181 Annex C). Samples short of a whole packet wait for the next push. Pure.
 */
export class VoiceRtpEncoder {
  private seq: number;
  private samples = 0;
  private pending = new Int16Array(0);
  private readonly ps?: PsMuxer;

  constructor(
    readonly payload: VoicePayload,
    readonly law: G711Law,
    private readonly ssrc: number,
    private readonly payloadType: number,
    firstSequence = 0,
  ) {
    this.seq = firstSequence & 0xffff;
    if (payload === 'PS') this.ps = new PsMuxer({ video: 'h264', audio: law === 'alaw' ? 'g711a' : 'g711u' });
  }

  push(pcm: Int16Array): Buffer[] {
    const all = new Int16Array(this.pending.length + pcm.length);
    all.set(this.pending);
    all.set(pcm, this.pending.length);
    const out: Buffer[] = [];
    let off = 0;
    for (; off + VOICE_SAMPLES_PER_PACKET <= all.length; off += VOICE_SAMPLES_PER_PACKET) {
      const g711 = encodeG711(this.law, all.subarray(off, off + VOICE_SAMPLES_PER_PACKET));
      const ts8k = this.samples;
      this.samples += VOICE_SAMPLES_PER_PACKET;
      if (!this.ps) {
        out.push(this.packet(g711, ts8k % 2 ** 32, true));
      } else {
        const ts90k = (ts8k * (90_000 / G711_SAMPLE_RATE)) % 2 ** 33;
        const parts = packetizePs(this.ps.muxAudio(g711, ts90k));
        parts.forEach((p, i) => out.push(this.packet(p, ts90k % 2 ** 32, i === parts.length - 1)));
      }
    }
    this.pending = all.slice(off);
    return out;
  }

  private packet(payload: Buffer, timestamp: number, marker: boolean): Buffer {
    const b = serializeRtpPacket({ payloadType: this.payloadType, ssrc: this.ssrc, sequenceNumber: this.seq, timestamp, marker, payload });
    this.seq = (this.seq + 1) & 0xffff;
    return b;
  }
}

export interface VoiceDecoderStats {
  packets: number;
  /** Packets dropped: unreadable RTP, another payload type, over VOICE_MAX_RTP_PAYLOAD_BYTES. */
  dropped: number;
  samples: number;
}

/**
 * Voice RTP (raw G.711 or PS-muxed G.711) back to 8 kHz mono 16-bit PCM. Packets of another payload type than the
 * negotiated one, unreadable ones and oversized ones are counted and dropped, never thrown. Pure.
 */
export class VoiceRtpDecoder {
  readonly stats: VoiceDecoderStats = { packets: 0, dropped: 0, samples: 0 };
  private readonly demux?: PsDemuxer;

  constructor(
    readonly payload: VoicePayload,
    readonly law: G711Law,
    private readonly payloadType: number,
  ) {
    if (payload === 'PS') this.demux = new PsDemuxer({ maxPesBytes: VOICE_PS_MAX_PES_BYTES, maxBufferedBytes: VOICE_PS_MAX_BUFFERED_BYTES });
  }

  push(packet: Buffer): Int16Array[] {
    let p;
    try {
      p = parseRtpPacket(packet);
    } catch {
      this.stats.dropped++;
      return [];
    }
    if (p.payloadType !== this.payloadType || p.payload.length > VOICE_MAX_RTP_PAYLOAD_BYTES) {
      this.stats.dropped++;
      return [];
    }
    this.stats.packets++;
    if (!this.demux) return this.out([decodeG711(this.law, p.payload)]);
    let units;
    try {
      units = this.demux.push(p.payload, { marker: p.marker });
    } catch {
      this.stats.dropped++;
      return [];
    }
    return this.out(units.filter((u) => u.kind === 'audio').map((u) => decodeG711(u.codec === 'g711u' ? 'ulaw' : u.codec === 'g711a' ? 'alaw' : this.law, u.data)));
  }

  private out(frames: Int16Array[]): Int16Array[] {
    for (const f of frames) this.stats.samples += f.length;
    return frames;
  }
}

/** Root mean square of 16-bit samples, 0..32768 (silence ≈ 0; a full-scale sine ≈ 23,170). */
export function pcmRms(samples: Int16Array): number {
  if (!samples.length) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
  return Math.sqrt(sum / samples.length);
}

/** A sine tone as 8 kHz 16-bit PCM: `count` samples from sample index `start` (so successive calls join up). */
export function pcmTone(freqHz: number, amplitude: number, start: number, count: number): Int16Array {
  if (!(amplitude >= 0 && amplitude <= 32767)) throw new Gb28181Error('VOICE_BAD_TONE', `amplitude ${amplitude} is not in 0..32767`);
  const out = new Int16Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freqHz * (start + i)) / G711_SAMPLE_RATE));
  return out;
}
