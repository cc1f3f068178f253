/**
 * 16-bit PCM at twice the rate by linear interpolation (8 kHz G.711 -> 16 kHz for the AAC encoder), carrying the last
 * sample across calls so a stream cut into frames has no seam. Each input sample n becomes (prev + s[n]) / 2, s[n]:
 * half a sample of delay (31 µs at 16 kHz). Pure.
 */
export class PcmUpsampler2x {
  private prev = 0;

  /** The next run of samples, twice as many out, as little-endian s16 bytes (what an encoder reads as `s16le`). */
  push(samples: ArrayLike<number>): Buffer {
    const out = Buffer.allocUnsafe(samples.length * 4);
    let prev = this.prev;
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i]!;
      out.writeInt16LE((prev + s) >> 1, i * 4);
      out.writeInt16LE(s, i * 4 + 2);
      prev = s;
    }
    this.prev = prev;
    return out;
  }

  /** Silence of `n` input samples (2n out; the first one halfway from the last sample). */
  silence(n: number): Buffer {
    return this.push(new Int16Array(n));
  }
}
