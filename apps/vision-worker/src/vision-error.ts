/**
 * Errors of the vision worker, each with a stable code. The CLI prints `code: message` and exits non-zero;
 * the live worker logs the code and keeps the channel alive where the error concerns one frame.
 */
export type VisionErrorCode =
  | 'VISION_MODEL_NOT_FOUND'
  | 'VISION_MODEL_UNREADABLE'
  | 'VISION_MODEL_SHAPE'
  | 'VISION_INFERENCE_FAILED'
  | 'VISION_FRAME_INVALID'
  | 'VISION_IMAGE_UNREADABLE'
  | 'VISION_DECODER_MISSING'
  | 'VISION_DECODE_FAILED'
  | 'VISION_SOURCE_ENDED'
  | 'VISION_ROI_INVALID'
  | 'VISION_USAGE'
  | 'VISION_DOWNLOAD_FAILED'
  | 'VISION_CHECKSUM_MISMATCH';

export class VisionError extends Error {
  override readonly name = 'VisionError';
  constructor(
    readonly code: VisionErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isVisionError(e: unknown): e is VisionError {
  return e instanceof VisionError;
}
