import { VisionError } from '../vision-error';

/** One decoded picture: packed RGB24, rows top to bottom, no padding between rows. */
export interface RgbFrame {
  width: number;
  height: number;
  data: Buffer;
}

/** Throws VISION_FRAME_INVALID unless the buffer holds exactly width × height × 3 bytes. */
export function assertRgbFrame(frame: RgbFrame): void {
  const ok =
    Number.isInteger(frame.width) &&
    Number.isInteger(frame.height) &&
    frame.width > 0 &&
    frame.height > 0 &&
    Buffer.isBuffer(frame.data) &&
    frame.data.length === frame.width * frame.height * 3;
  if (!ok) {
    throw new VisionError(
      'VISION_FRAME_INVALID',
      `frame ${frame.width}x${frame.height} must carry ${frame.width * frame.height * 3} RGB bytes, got ${frame.data?.length ?? 'none'}`,
    );
  }
}
