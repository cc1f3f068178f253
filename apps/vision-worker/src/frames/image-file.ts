import sharp from 'sharp';
import { VisionError } from '../vision-error';
import type { RgbFrame } from './rgb-frame';

/** File extensions read as still images (everything else in a folder is tried as video). */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff', '.gif']);

/**
 * Decodes a still image (file path or bytes) to RGB24, honouring EXIF orientation and dropping alpha.
 * `maxWidth` downsizes (keeping aspect) wider pictures; VISION_IMAGE_UNREADABLE on bad input.
 */
export async function readImageFile(input: string | Buffer, opts: { maxWidth?: number } = {}): Promise<RgbFrame> {
  try {
    let img = sharp(input, { failOn: 'error' }).rotate().removeAlpha().toColourspace('srgb');
    if (opts.maxWidth) img = img.resize({ width: opts.maxWidth, withoutEnlargement: true });
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
    return { width: info.width, height: info.height, data };
  } catch (cause) {
    const name = typeof input === 'string' ? input : `${input.length}-byte buffer`;
    throw new VisionError('VISION_IMAGE_UNREADABLE', `cannot decode image ${name}: ${(cause as Error).message}`, { cause });
  }
}
