import { ALAW_TO_LINEAR, ULAW_TO_LINEAR, G711_SAMPLE_RATE, linearToAlaw, linearToUlaw, type G711Law } from './g711.codec';
import { serializeRtpPacket } from './rtp.codec';

/** Samples (= bytes) per RTP packet: 20 ms at 8 kHz, the usual G.711 packet time (RFC 3551 §4.5, ptime 20). */
export const G711_RTP_SAMPLES_PER_PACKET = 160;
/** RTP payload types of G.711 (RFC 3551 table 4): PCMU 0, PCMA 8, both 8 kHz mono. */
export const G711_RTP_PAYLOAD_TYPE: Readonly<Record<G711Law, number>> = { ulaw: 0, alaw: 8 };

/** One law's bytes to the other's, through the 16-bit linear value (256-entry tables, built once). */
const CONVERT: Readonly<Record<G711Law, Uint8Array>> = {
  alaw: Uint8Array.from(ULAW_TO_LINEAR, (s) => linearToAlaw(s)), // µ-law byte -> A-law byte
  ulaw: Uint8Array.from(ALAW_TO_LINEAR, (s) => linearToUlaw(s)), // A-law byte -> µ-law byte
};

/** G.711 bytes of `from` re-coded as `to` (a copy; the same bytes when the laws match). */
export function transcodeG711(from: G711Law, to: G711Law, bytes: Buffer): Buffer {
  if (from === to) return bytes;
  const t = CONVERT[to];
  const out = Buffer.allocUnsafe(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = t[bytes[i]!]!;
  return out;
}

/**
 * G.711 audio units (as the PS demuxer gives them: bytes of one law, a 90 kHz PTS) to RTP packets of `law`
 * (RFC 3551 §4.5.14: PCMA / PCMU, timestamp clock 8 kHz, one byte per sample), at most 20 ms each; the other law is
 * re-coded sample by sample. The timestamp is the unit's PTS on the 8 kHz clock, advanced by the samples before each
 * packet; without a PTS, it continues from the previous unit. Pure.
 */
export class G711RtpPacketizer {
  private seq: number;
  private next: number | null = null;

  constructor(
    readonly law: G711Law,
    private readonly ssrc = 0,
    firstSequence = 0,
  ) {
    this.seq = firstSequence & 0xffff;
  }

  push(au: { data: Buffer; pts?: number }, from: G711Law): Buffer[] {
    const bytes = transcodeG711(from, this.law, au.data);
    let ts = au.pts !== undefined ? Math.round((au.pts * G711_SAMPLE_RATE) / 90_000) : (this.next ?? 0);
    const out: Buffer[] = [];
    for (let off = 0; off < bytes.length; off += G711_RTP_SAMPLES_PER_PACKET) {
      const payload = bytes.subarray(off, Math.min(bytes.length, off + G711_RTP_SAMPLES_PER_PACKET));
      out.push(serializeRtpPacket({ payloadType: G711_RTP_PAYLOAD_TYPE[this.law], ssrc: this.ssrc, sequenceNumber: this.seq, timestamp: ts % 2 ** 32, marker: false, payload }));
      this.seq = (this.seq + 1) & 0xffff;
      ts += payload.length;
    }
    this.next = ts;
    return out;
  }
}
