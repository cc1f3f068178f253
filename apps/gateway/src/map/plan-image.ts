import { GatewayError } from '../common/gateway-error';

/** Largest site plan image accepted by PUT /api/map/plan. */
export const MAX_PLAN_BYTES = 10 * 1024 * 1024;
/** Largest plan width or height in pixels (a decoded 16384² RGBA plan is already 1 GiB in a browser). */
export const MAX_PLAN_DIMENSION = 16_384;
/** How far into a JPEG the SOF marker is searched for (EXIF thumbnails come first). */
const MAX_JPEG_SCAN_BYTES = 1024 * 1024;

export type PlanContentType = 'image/png' | 'image/jpeg';
export const PLAN_CONTENT_TYPES: readonly PlanContentType[] = ['image/png', 'image/jpeg'];

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * The type and size of a plan image, from its bytes (the declared content type must agree).
 *   PNG (ISO/IEC 15948 §5.2, §11.2.2): 8-byte signature, then the IHDR chunk: length(4) "IHDR" width(4) height(4).
 *   JPEG (ITU-T T.81 §B.2): FFD8, then marker segments FFxx len(2) …; a SOFn (C0–CF but C4, C8, CC) holds
 *   P(1) height(2) width(2).
 * Errors: MAP_PLAN_NOT_IMAGE.
 */
export function sniffPlanImage(bytes: Buffer, declared: PlanContentType): { contentType: PlanContentType; width: number; height: number } {
  const found = pngSize(bytes) ?? jpegSize(bytes);
  if (!found) throw new GatewayError('MAP_PLAN_NOT_IMAGE', 'the body is not a PNG or JPEG image (by its bytes)');
  if (found.contentType !== declared) throw new GatewayError('MAP_PLAN_NOT_IMAGE', `the body is a ${found.contentType} image, sent as ${declared}`);
  if (found.width < 1 || found.height < 1 || found.width > MAX_PLAN_DIMENSION || found.height > MAX_PLAN_DIMENSION) {
    throw new GatewayError('MAP_PLAN_NOT_IMAGE', `plan is ${found.width}x${found.height} pixels; each side must be 1–${MAX_PLAN_DIMENSION}`);
  }
  return found;
}

function pngSize(b: Buffer): { contentType: PlanContentType; width: number; height: number } | null {
  if (b.length < 24 || !b.subarray(0, 8).equals(PNG_SIGNATURE) || b.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { contentType: 'image/png', width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

function jpegSize(b: Buffer): { contentType: PlanContentType; width: number; height: number } | null {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  const end = Math.min(b.length, MAX_JPEG_SCAN_BYTES);
  let i = 2;
  while (i + 4 <= end) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      i += 2;
      continue;
    }
    const len = b.readUInt16BE(i + 2);
    if (len < 2) return null;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 9 > b.length) return null;
      return { contentType: 'image/jpeg', height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image or scan before any frame header
    i += 2 + len;
  }
  return null;
}
