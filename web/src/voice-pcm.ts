// The page's voice PCM, DOM-free (a Node spec imports it): docs/decisions/voice.md.

/** The page's audio to the gateway: 8 kHz mono 16-bit little-endian PCM, 20 ms (160 samples) per WebSocket frame. */
export const VOICE_RATE = 8000;
export const VOICE_FRAME_SAMPLES = 160;
/**
 * Downsamples Float32 audio at `fromRate` to 8 kHz Int16 (linear interpolation after a running box filter of the
 * ratio's width, which is enough against aliasing for speech into G.711). Keeps its phase across calls; the output
 * lags the input by one input sample (at most 125 µs). DOM-free.
 */
export class Downsampler {
  private pos = 0;
  private last = 0;
  constructor(private readonly fromRate: number) {}

  push(input: Float32Array): Int16Array {
    const step = this.fromRate / VOICE_RATE;
    const out: number[] = [];
    while (this.pos < input.length) {
      const i = Math.floor(this.pos);
      const frac = this.pos - i;
      const a = i === 0 ? this.last : input[i - 1]!;
      const b = input[i]!;
      // average the samples of this output period (box filter), then interpolate the last
      let sum = 0;
      let n = 0;
      for (let k = Math.max(0, Math.floor(this.pos - step) + 1); k <= i; k++, n++) sum += input[k]!;
      const v = n > 1 ? sum / n : a + (b - a) * frac;
      out.push(Math.max(-32768, Math.min(32767, Math.round(v * 32767))));
      this.pos += step;
    }
    this.pos -= input.length;
    this.last = input[input.length - 1] ?? this.last;
    return Int16Array.from(out);
  }
}
