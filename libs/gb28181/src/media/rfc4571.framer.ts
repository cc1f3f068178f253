import { Gb28181Error } from '../errors';

/** RFC 4571 §2: the length field is 16 bits, so no frame is larger. */
export const RFC4571_MAX_FRAME_BYTES = 65535;

export interface Rfc4571FramerOptions {
  /** Frames longer than this throw RFC4571_FRAME_TOO_LARGE (default and maximum 65535). */
  maxFrameBytes?: number;
}

/**
 * RFC 4571 §2 framing of RTP over TCP (GB/T 28181 `TCP/RTP/AVP`): each packet is preceded by
 * a 16-bit big-endian length.
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |             LENGTH            |  RTP packet (LENGTH bytes) ...
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ```
 *
 * Bytes in, whole frames out. A frame that lies inside one pushed chunk is returned as a
 * subarray of it (no copy), so callers must not reuse chunk memory; frames spanning chunks are
 * copied once. Zero-length frames are skipped. Buffered bytes never exceed 2 + maxFrameBytes
 * plus the last chunk.
 */
export class Rfc4571Framer {
  private readonly maxFrameBytes: number;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Length of the frame being collected, or -1 while waiting for its length prefix. */
  private frameLength = -1;

  constructor(opts: Rfc4571FramerOptions = {}) {
    const max = opts.maxFrameBytes ?? RFC4571_MAX_FRAME_BYTES;
    if (!Number.isInteger(max) || max < 1 || max > RFC4571_MAX_FRAME_BYTES) {
      throw new Gb28181Error('RFC4571_BAD_OPTION', `maxFrameBytes ${max} must be an integer in 1..${RFC4571_MAX_FRAME_BYTES}`);
    }
    this.maxFrameBytes = max;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    if (chunk.length === 0) return frames;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.frameLength < 0) {
        if (this.buffered < 2) break;
        const prefix = this.take(2);
        const len = prefix.readUInt16BE(0);
        if (len > this.maxFrameBytes) {
          this.reset();
          throw new Gb28181Error('RFC4571_FRAME_TOO_LARGE', `RFC 4571 frame of ${len} bytes exceeds ${this.maxFrameBytes}`);
        }
        if (len === 0) continue;
        this.frameLength = len;
      }
      if (this.buffered < this.frameLength) break;
      frames.push(this.take(this.frameLength));
      this.frameLength = -1;
    }
    return frames;
  }

  /** Drops buffered bytes, e.g. when the connection is closed. */
  reset(): void {
    this.chunks = [];
    this.buffered = 0;
    this.frameLength = -1;
  }

  /** Removes `n` bytes (n <= buffered) from the front. */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    this.buffered -= n;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let o = 0;
    while (o < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length, n - o);
      c.copy(out, o, 0, k);
      o += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }
}

/** Prefixes one RTP packet with its RFC 4571 16-bit length. */
export function frameRfc4571(packet: Buffer): Buffer {
  if (packet.length > RFC4571_MAX_FRAME_BYTES) {
    throw new Gb28181Error('RFC4571_FRAME_TOO_LARGE', `RFC 4571 frame of ${packet.length} bytes exceeds ${RFC4571_MAX_FRAME_BYTES}`);
  }
  const out = Buffer.allocUnsafe(2 + packet.length);
  out.writeUInt16BE(packet.length, 0);
  packet.copy(out, 2);
  return out;
}
