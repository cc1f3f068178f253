/**
 * G.711 (ITU-T Rec. G.711, 1988): 8-bit logarithmic PCM at 8 kHz, A-law (PSM stream_type 0x90, GB/T 28181 Annex C)
 * and µ-law (0x91). Pure: bytes in, 16-bit linear samples out, through 256-entry tables built once from the reference
 * segment rules (the ones in Sun's public-domain g711.c, which ffmpeg's pcm_alaw / pcm_mulaw decoders match).
 *
 *   A-law byte (after XOR 0x55):  S(1) | segment(3) | quantisation(4)      13-bit magnitude, sign bit set = positive
 *   µ-law byte (after NOT):       S(1) | segment(3) | quantisation(4)      14-bit magnitude with a bias of 0x84
 */
export type G711Law = 'alaw' | 'ulaw';

/** The G.711 sample rate (Hz); one byte per sample. */
export const G711_SAMPLE_RATE = 8000;
/** The byte an A-law / µ-law encoder writes for digital silence (0 in, the smallest positive level out). */
export const G711_SILENCE_BYTE: Readonly<Record<G711Law, number>> = { alaw: 0xd5, ulaw: 0xff };

function alawToLinear(a: number): number {
  const v = a ^ 0x55;
  let t = (v & 0x0f) << 4;
  const seg = (v & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return v & 0x80 ? t : -t;
}

function ulawToLinear(u: number): number {
  const v = ~u & 0xff;
  const t = (((v & 0x0f) << 3) + 0x84) << ((v & 0x70) >> 4);
  return v & 0x80 ? 0x84 - t : t - 0x84;
}

function table(f: (b: number) => number): Int16Array {
  const t = new Int16Array(256);
  for (let b = 0; b < 256; b++) t[b] = f(b);
  return t;
}

/** Byte -> 16-bit linear sample, A-law. */
export const ALAW_TO_LINEAR: Readonly<Int16Array> = table(alawToLinear);
/** Byte -> 16-bit linear sample, µ-law. */
export const ULAW_TO_LINEAR: Readonly<Int16Array> = table(ulawToLinear);

/** Decodes G.711 bytes to 16-bit linear samples (one per byte). */
export function decodeG711(law: G711Law, bytes: Uint8Array): Int16Array {
  const t = law === 'alaw' ? ALAW_TO_LINEAR : ULAW_TO_LINEAR;
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = t[bytes[i]!]!;
  return out;
}

const A_SEG_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];
const U_SEG_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];

function segment(v: number, ends: readonly number[]): number {
  for (let i = 0; i < ends.length; i++) if (v <= ends[i]!) return i;
  return ends.length;
}

/** One 16-bit linear sample to an A-law byte (the reference linear2alaw). */
export function linearToAlaw(sample: number): number {
  let v = Math.max(-32768, Math.min(32767, Math.round(sample))) >> 3;
  let mask: number;
  if (v >= 0) mask = 0xd5;
  else {
    mask = 0x55;
    v = -v - 1;
  }
  const seg = segment(v, A_SEG_END);
  if (seg >= 8) return 0x7f ^ mask;
  const q = seg < 2 ? (v >> 1) & 0x0f : (v >> seg) & 0x0f;
  return ((seg << 4) | q) ^ mask;
}

/** One 16-bit linear sample to a µ-law byte (the reference linear2ulaw: clip at 8159 << 2, bias 0x84). */
export function linearToUlaw(sample: number): number {
  let v = Math.max(-32768, Math.min(32767, Math.round(sample))) >> 2;
  let mask: number;
  if (v < 0) {
    v = -v;
    mask = 0x7f;
  } else mask = 0xff;
  v = Math.min(v, 8159) + (0x84 >> 2);
  const seg = segment(v, U_SEG_END);
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((v >> (seg + 1)) & 0x0f)) ^ mask;
}

/** Encodes 16-bit linear samples to G.711 bytes. */
export function encodeG711(law: G711Law, samples: ArrayLike<number>): Buffer {
  const f = law === 'alaw' ? linearToAlaw : linearToUlaw;
  const out = Buffer.allocUnsafe(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = f(samples[i]!);
  return out;
}
