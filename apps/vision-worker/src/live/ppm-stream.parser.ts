import { VisionError } from '../vision-error';
import type { RgbFrame } from '../frames/rgb-frame';

/** Largest frame side accepted from the decoder (bounded even though we launched it). */
export const MAX_PPM_SIDE = 8192;
/** Longest PPM header accepted ("P6\n<w> <h>\n255\n" is ~16 bytes). */
const MAX_PPM_HEADER = 64;

/**
 * Cuts a byte stream of concatenated binary PPM images (P6, maxval 255 — what ffmpeg's `-f image2pipe
 * -c:v ppm` writes) into RGB24 frames. Each image carries its own size, so a source whose resolution
 * changes mid-stream needs no probe. Bytes in, whole frames out; VISION_FRAME_INVALID on a bad header.
 */
export class PpmStreamParser {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): RgbFrame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: RgbFrame[] = [];
    for (;;) {
      const head = parseHeader(this.buf);
      if (!head) break;
      const need = head.headerLen + head.width * head.height * 3;
      if (this.buf.length < need) break;
      out.push({ width: head.width, height: head.height, data: Buffer.from(this.buf.subarray(head.headerLen, need)) });
      this.buf = this.buf.subarray(need);
    }
    return out;
  }
}

function parseHeader(buf: Buffer): { width: number; height: number; headerLen: number } | null {
  if (buf.length < 2) return null;
  if (buf[0] !== 0x50 || buf[1] !== 0x36) throw new VisionError('VISION_FRAME_INVALID', `decoder output is not a P6 PPM image (starts with ${buf.subarray(0, 2).toString('hex')})`);
  // Four whitespace-separated tokens: P6 width height maxval, then exactly one whitespace byte.
  const tokens: string[] = [];
  let i = 0;
  while (tokens.length < 4) {
    while (i < buf.length && isSpace(buf[i])) i++;
    if (buf[i] === 0x23) {
      while (i < buf.length && buf[i] !== 0x0a) i++;
      continue;
    }
    const start = i;
    while (i < buf.length && !isSpace(buf[i])) i++;
    if (i >= buf.length) {
      if (i > MAX_PPM_HEADER) throw new VisionError('VISION_FRAME_INVALID', 'PPM header too long');
      return null;
    }
    tokens.push(buf.toString('latin1', start, i));
  }
  const [, w, h, max] = tokens.map(Number);
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1 || w > MAX_PPM_SIDE || h > MAX_PPM_SIDE || max !== 255) {
    throw new VisionError('VISION_FRAME_INVALID', `unsupported PPM header ${tokens.join(' ')}`);
  }
  return { width: w, height: h, headerLen: i + 1 };
}

function isSpace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}
